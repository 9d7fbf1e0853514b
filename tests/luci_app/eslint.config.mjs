// eslint (flat config) for luci-app-logjail's views: browser scripts in LuCI's module
// format ('use strict'; 'require x'; return view.extend(...)), with LuCI's globals.
export default [
	{
		files: ["**/*.js"],
		languageOptions: {
			ecmaVersion: 2020,
			sourceType: "script",
			parserOptions: { ecmaFeatures: { globalReturn: true } },
			globals: {
				L: "readonly", E: "readonly", _: "readonly", N_: "readonly",
				form: "readonly", ui: "readonly", rpc: "readonly", poll: "readonly",
				view: "readonly", uci: "readonly", dom: "readonly", fs: "readonly",
				cbi_update_table: "readonly",
				document: "readonly", window: "readonly", confirm: "readonly",
				Promise: "readonly", Math: "readonly", JSON: "readonly"
			}
		},
		rules: {
			"no-undef": "error",
			"no-unused-vars": ["error", { args: "none" }],
			"no-redeclare": "error",
			"no-unreachable": "error",
			"no-dupe-keys": "error",
			"no-empty": "error",
			"eqeqeq": ["error", "smart"],
			"no-implicit-globals": "error",
			"semi": ["error", "always"]
		}
	}
];
