'use strict';
'require view';
'require form';
'require rpc';
'require uci';

// Jails: /etc/config/logjail through LuCI's form classes (config logjail 'main' and the named
// config jail 'NAME' sections). Save & Apply goes through rpcd's uci apply, whose
// config.change event makes procd run /etc/init.d/logjail reload.

var callFilters = rpc.declare({
	object: 'luci.logjail',
	method: 'filters',
	expect: { filters: [] }
});

// Plain seconds or a number with a unit: 600, 10m, 1h, 1d, 1w (bantime also -1: permanent).
function validDuration(permanentOk) {
	return function(section_id, value) {
		if (value == null || value === '')
			return true;
		if (/^[0-9]+[smhdw]?$/.test(value) || (permanentOk && value === '-1'))
			return true;
		return permanentOk
			? _('Seconds, or a number with s, m, h, d or w (10m, 1h); -1 for permanent')
			: _('Seconds, or a number with s, m, h, d or w (10m, 1h)');
	};
}

return view.extend({
	load: function() {
		return Promise.all([
			callFilters().catch(function() { return []; }),
			uci.load('logjail')
		]);
	},

	render: function(data) {
		var filters = data[0] || [], m, s, o;

		m = new form.Map('logjail', _('logjail: jails'),
			_('A jail counts the failed logins its filter finds per host and bans a host that fails maxretry times within findtime, for bantime; repeat offenders get longer bans (bantime factor, up to the maximum).'));

		s = m.section(form.NamedSection, 'main', 'logjail', _('General'));
		s.addremove = false;

		o = s.option(form.ListValue, 'loglevel', _('Log level'));
		o.value('error', _('Errors'));
		o.value('warn', _('Warnings'));
		o.value('info', _('Information'));
		o.value('debug', _('Debug'));
		o.default = 'info';

		o = s.option(form.DynamicList, 'ignoreip', _('Never ban'),
			_('Addresses and networks no jail bans (the LAN, your own addresses). Loopback and the router\'s own addresses are never banned.'));
		o.datatype = 'or(ipaddr,cidr)';

		o = s.option(form.Flag, 'standalone', _('Standalone firewall table'),
			_('Create a table of its own with drop rules when fw4 is not running.'));

		s = m.section(form.GridSection, 'jail', _('Jails'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;

		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = o.enabled;
		o.editable = true;

		// A list of the filters, but a Value: a jail may also name a filter file by its path.
		o = s.option(form.Value, 'filter', _('Filter'),
			_('A built-in filter, a file NAME.filter in the filter directory, or the path of a filter file; empty: the jail\'s name.'));
		filters.forEach(function(f) {
			o.value(f.name, f.user ? _('%s (your file)').format(f.name) : f.name);
		});
		o.rmempty = true;

		o = s.option(form.Value, 'maxretry', _('Max. failures'));
		o.datatype = 'range(1,32)';
		o.placeholder = '5';
		o.editable = true;

		o = s.option(form.Value, 'findtime', _('Within'));
		o.validate = validDuration(false);
		o.placeholder = '10m';

		o = s.option(form.Value, 'bantime', _('Ban time'));
		o.validate = validDuration(true);
		o.placeholder = '1h';

		o = s.option(form.Value, 'bantime_factor', _('Repeat factor'),
			_('Each new ban of a repeat offender lasts this many times longer (1: always the same).'));
		o.datatype = 'range(1,1000)';
		o.placeholder = '1';

		o = s.option(form.Value, 'bantime_max', _('Longest ban'));
		o.validate = validDuration(false);
		o.placeholder = '1w';

		o = s.option(form.DynamicList, 'ignoreip', _('Never ban'),
			_('Addresses and networks this jail never bans.'));
		o.datatype = 'or(ipaddr,cidr)';
		o.modalonly = true;

		return m.render();
	}
});
