'use strict';
'require view';
'require rpc';
'require ui';

// Test a filter: paste log lines, see for each one whether the filter matches it, with which
// rule and which host (what a jail would count and ban), or why not. Nothing is banned.

var callFilters = rpc.declare({
	object: 'luci.logjail',
	method: 'filters',
	expect: { filters: [] }
});

var callTest = rpc.declare({
	object: 'luci.logjail',
	method: 'test',
	params: [ 'filter', 'lines' ],
	expect: { '': {} }
});

return view.extend({
	load: function() {
		return callFilters().catch(function() { return []; });
	},

	handleTest: function(ev) {
		var filter = this.select.getValue(),
		    lines = this.text.value,
		    out = this.out;

		return callTest(filter, lines).then(function(res) {
			if (res.error) {
				out.replaceChildren(E('div', { 'class': 'alert-message warning' }, '%h'.format(res.error)));
				return;
			}
			var rows = (res.lines || []).map(function(l) {
				var what;
				if (l.result === 'match')
					what = _('match');
				else if (l.result === 'ignored')
					what = _('ignored (an ignoreregex matched)');
				else
					what = _('no match');
				return [
					E('code', {}, '%h'.format(l.line)),
					what,
					'%h'.format(l.address || ''),
					'%h'.format(l.ban || ''),
					l.rule ? E('code', {}, '%h'.format(l.rule)) : ''
				];
			});
			var table = E('table', { 'class': 'table', 'id': 'logjail-test-result' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, _('Line')),
					E('th', { 'class': 'th' }, _('Result')),
					E('th', { 'class': 'th' }, _('Host')),
					E('th', { 'class': 'th' }, _('Banned as')),
					E('th', { 'class': 'th' }, _('Rule'))
				])
			]);
			cbi_update_table(table, rows, E('em', _('No lines')));
			out.replaceChildren(
				E('p', { 'id': 'logjail-test-summary' },
					_('%d matched, %d ignored, %d not matched').format(res.matched, res.ignored, res.missed)),
				table);
		}).catch(function(e) {
			out.replaceChildren(E('div', { 'class': 'alert-message warning' }, '%h'.format(e.message)));
		});
	},

	render: function(filters) {
		var choices = {};
		filters.forEach(function(f) { choices[f.name] = f.name; });
		this.select = new ui.Select(choices[ 'dropbear' ] ? 'dropbear' : null, choices,
			{ id: 'logjail-test-filter', sort: true });
		this.text = E('textarea', {
			'id': 'logjail-test-lines',
			'class': 'cbi-input-textarea',
			'style': 'width:100%',
			'rows': 10,
			'wrap': 'off',
			'spellcheck': 'false',
			'placeholder': _('Paste lines of logread here')
		});
		this.out = E('div', { 'id': 'logjail-test-out' });

		return E([], [
			E('h2', _('logjail: test a filter')),
			E('div', { 'class': 'cbi-map-descr' },
				_('Paste log lines as logread prints them. Each line is judged as the daemon would: the filter\'s programs, its rules, and the host it would count. Nothing is banned.')),
			E('div', { 'class': 'cbi-section' }, [
				E('div', { 'class': 'cbi-value' }, [
					E('label', { 'class': 'cbi-value-title', 'for': 'logjail-test-filter' }, _('Filter')),
					E('div', { 'class': 'cbi-value-field' }, this.select.render())
				]),
				E('div', { 'class': 'cbi-value' }, [
					E('label', { 'class': 'cbi-value-title', 'for': 'logjail-test-lines' }, _('Log lines')),
					E('div', { 'class': 'cbi-value-field' }, this.text)
				]),
				E('div', { 'class': 'cbi-page-actions' }, [
					E('button', {
						'class': 'btn cbi-button-action',
						'id': 'logjail-test-run',
						'click': ui.createHandlerFn(this, 'handleTest')
					}, _('Test'))
				])
			]),
			this.out
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
