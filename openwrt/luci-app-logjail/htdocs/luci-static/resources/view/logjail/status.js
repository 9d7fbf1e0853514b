'use strict';
'require view';
'require poll';
'require rpc';
'require ui';

// Status: the daemon's counters per jail and its active bans, refreshed every 5 s by poll;
// an Unban button per ban and "Unban all" for users with write access (the ACL's write
// group holds luci.logjail unban). LuCI puts string cells in as HTML: every text that is not
// ours goes through '%h' (HTML-escaped).

var callStatus = rpc.declare({
	object: 'luci.logjail',
	method: 'status',
	expect: { '': {} }
});

var callBans = rpc.declare({
	object: 'luci.logjail',
	method: 'bans',
	expect: { '': {} }
});

var callUnban = rpc.declare({
	object: 'luci.logjail',
	method: 'unban',
	params: [ 'address' ],
	expect: { '': {} }
});

var callUnbanAll = rpc.declare({
	object: 'luci.logjail',
	method: 'unban',
	params: [ 'all' ],
	expect: { '': {} }
});

function duration(s) {
	if (s == null)
		return _('permanent');
	var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24,
	    m = Math.floor(s / 60) % 60, out = '';
	if (d > 0) out += d + 'd ';
	if (d > 0 || h > 0) out += h + 'h ';
	if (d > 0 || h > 0 || m > 0) out += m + 'm ';
	return out + (s % 60) + 's';
}

function origin(b) {
	switch (b.origin) {
	case 'logjail': return _('logjail');
	case 'refused': return _('refused by the kernel: %h').format(b.reason || '');
	case 'kernel': return _('firewall set only');
	default: return '%h'.format(b.origin || '');
	}
}

return view.extend({
	load: function() {
		return Promise.all([ callStatus(), callBans() ]);
	},

	canWrite: function() {
		return L.hasViewPermission();
	},

	handleUnban: function(address, ev) {
		return callUnban(address).then(L.bind(function(res) {
			if (res.error)
				ui.addNotification(null, E('p', _('Unban of %h failed: %h').format(address, res.error)), 'danger');
			return this.refresh();
		}, this)).catch(function(e) {
			ui.addNotification(null, E('p', _('Unban of %h failed: %h').format(address, e.message)), 'danger');
		});
	},

	handleUnbanAll: function(ev) {
		if (!confirm(_('Lift every ban?')))
			return;
		return callUnbanAll(true).then(L.bind(function(res) {
			if (res.error)
				ui.addNotification(null, E('p', _('Unban failed: %h').format(res.error)), 'danger');
			return this.refresh();
		}, this));
	},

	refresh: function() {
		return Promise.all([ callStatus(), callBans() ]).then(L.bind(function(data) {
			this.update(data[0], data[1]);
		}, this));
	},

	update: function(status, bans) {
		var note = this.note,
		    jails = (status && status.jails) || [],
		    list = (bans && bans.bans) || [],
		    write = this.canWrite();

		if (!status || !status.running) {
			note.className = 'alert-message warning';
			note.textContent = _('The logjail daemon is not running: %s. Start it under System → Startup, or with /etc/init.d/logjail start.')
				.format((status && status.error) || _('no answer'));
		}
		else {
			note.className = '';
			note.textContent = _('Log source: %s (%s)').format(status.source.description, status.source.state);
		}

		cbi_update_table(this.jailTable, jails.map(function(j) {
			return [ '%h'.format(j.name), j.currently_failed, j.total_failed, j.currently_banned, j.total_banned ];
		}), E('em', _('No jails')));

		var self = this;
		cbi_update_table(this.banTable, list.map(function(b) {
			return [
				'%h'.format(b.address),
				'%h'.format(b.jail || '-'),
				duration(b.remaining),
				b.count || '-',
				origin(b),
				write ? E('button', {
					'class': 'btn cbi-button-remove',
					'data-address': b.address,
					'click': ui.createHandlerFn(self, 'handleUnban', b.address)
				}, _('Unban')) : ''
			];
		}), E('em', bans && bans.error ? _('Bans unavailable: %h').format(bans.error) : _('No active bans')));

		var all = this.unbanAll;
		if (all)
			all.disabled = (list.length === 0) || null;
	},

	render: function(data) {
		var write = this.canWrite();
		var v = E([], [
			E('h2', _('logjail')),
			E('div', { 'class': 'cbi-map-descr' },
				_('Hosts that failed to log in too often are banned in the firewall for a while. Counters per jail and the active bans, refreshed every 5 seconds.')),
			E('div', { 'id': 'logjail-daemon' }),
			E('h3', _('Jails')),
			E('table', { 'class': 'table', 'id': 'logjail-jails' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, _('Jail')),
					E('th', { 'class': 'th' }, _('Failing now')),
					E('th', { 'class': 'th' }, _('Failures')),
					E('th', { 'class': 'th' }, _('Banned now')),
					E('th', { 'class': 'th' }, _('Bans'))
				])
			]),
			E('h3', _('Active bans')),
			E('table', { 'class': 'table', 'id': 'logjail-bans' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, _('Address')),
					E('th', { 'class': 'th' }, _('Jail')),
					E('th', { 'class': 'th' }, _('Time left')),
					E('th', { 'class': 'th' }, _('Ban count')),
					E('th', { 'class': 'th' }, _('Origin')),
					E('th', { 'class': 'th cbi-section-actions' })
				])
			]),
			write ? E('div', { 'class': 'cbi-page-actions' }, [
				E('button', {
					'class': 'btn cbi-button-negative',
					'id': 'logjail-unban-all',
					'click': ui.createHandlerFn(this, 'handleUnbanAll')
				}, _('Unban all'))
			]) : E('p', {}, E('em', _('Read-only access: unbanning needs write permission.')))
		]);

		this.note = v.querySelector('#logjail-daemon');
		this.jailTable = v.querySelector('#logjail-jails');
		this.banTable = v.querySelector('#logjail-bans');
		this.unbanAll = v.querySelector('#logjail-unban-all');
		this.update(data[0], data[1]);
		poll.add(L.bind(this.refresh, this), 5);

		return v;
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
