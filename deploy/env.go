package deploy

import "strings"

// loaderEnv are the environment variables that make an interpreter, a shell
// or the dynamic loader run code that is not the function's: a function
// deployed over HTTP could otherwise keep its archive innocent and have
// node, perl, a bash bootstrap or ld.so load something from elsewhere on
// the host. Each entry says why it is on the list.
var loaderEnv = map[string]string{
	// Node.js (https://nodejs.org/api/cli.html#environment-variables).
	"NODE_OPTIONS":              "Node.js reads command-line options from it: --require, --import and --loader load modules before the handler",
	"NODE_PATH":                 "Node.js searches its directories for modules, so require() can resolve outside the code",
	"NODE_REPL_EXTERNAL_MODULE": "Node.js loads the module it names in place of the REPL",
	// Perl (perlrun(1), ENVIRONMENT).
	"PERL5OPT": "perl takes switches from it: -M and -m load modules, -d runs a debugger",
	"PERL5LIB": "perl searches its directories for modules before the standard ones",
	"PERLLIB":  "perl searches its directories for modules when PERL5LIB is unset",
	"PERL5DB":  "perl runs it as the debugger's code under -d",
	// Python (https://docs.python.org/3/using/cmdline.html#environment-variables).
	"PYTHONPATH":       "Python searches its directories for modules before the standard ones",
	"PYTHONSTARTUP":    "Python executes the file it names before an interactive prompt",
	"PYTHONHOME":       "Python takes its standard library, site.py included, from there",
	"PYTHONUSERBASE":   "Python reads the .pth files of that user site-packages directory, and a .pth line starting with import is executed",
	"PYTHONWARNINGS":   "a warnings filter's category is a class name that Python imports, module and all",
	"PYTHONBREAKPOINT": "breakpoint() imports and calls the callable it names",
	// Ruby (ruby(1), ENVIRONMENT).
	"RUBYOPT": "ruby takes switches from it: -r requires a library at start-up",
	"RUBYLIB": "ruby searches its directories for libraries first",
	// The dynamic loader and the C library (ld.so(8), iconv(3)); the rest
	// of LD_* and DYLD_* are in loaderEnvPrefixes.
	"LD_PRELOAD":            "ld.so loads the shared objects it lists into every program",
	"LD_LIBRARY_PATH":       "ld.so searches its directories for shared objects first",
	"LD_AUDIT":              "ld.so loads the auditing shared objects it lists into every program",
	"DYLD_INSERT_LIBRARIES": "macOS's dyld loads the libraries it lists into every program",
	"GLIBC_TUNABLES":        "ld.so parses it in every program; CVE-2023-4911 made a crafted value run code",
	"GCONV_PATH":            "iconv loads gconv modules (shared objects) from its directories; CVE-2021-4034 used it",
	// The search path.
	"PATH": "a bootstrap's commands, and the interpreters it starts, are looked up in it; the server sets it",
	// Shells (bash(1), INVOCATION and Shell Variables; sh(1p)).
	"BASH_ENV":  "non-interactive bash, the usual provided bootstrap, sources the file it names before the script",
	"ENV":       "sh, and bash in POSIX mode, source the file it names",
	"SHELLOPTS": "bash turns on the options it lists at start-up (xtrace then expands PS4)",
	"BASHOPTS":  "bash turns on the shopt options it lists at start-up",
	"PS4":       "bash expands it, command substitutions included, before each command it traces",
	// The JVM (https://docs.oracle.com/en/java/javase/21/docs/specs/man/java.html).
	"JAVA_TOOL_OPTIONS": "every JVM takes options from it: -javaagent loads a jar, -cp changes where classes come from",
	"_JAVA_OPTIONS":     "HotSpot JVMs take options from it, as from JAVA_TOOL_OPTIONS",
	"JDK_JAVA_OPTIONS":  "the java launcher takes options from it, as from JAVA_TOOL_OPTIONS",
	"CLASSPATH":         "the JVM loads classes from its entries",
	// OpenSSL (config(5ssl)), which Node.js and most runtimes link.
	"OPENSSL_CONF":    "an OpenSSL configuration can load engines and providers, which are shared objects",
	"OPENSSL_ENGINES": "OpenSSL loads engines (shared objects) from that directory",
	"OPENSSL_MODULES": "OpenSSL loads providers (shared objects) from that directory",
}

// loaderEnvPrefixes are families of such variables.
var loaderEnvPrefixes = []struct{ prefix, why string }{
	{"LD_", "ld.so reads LD_* variables: they load shared objects (LD_PRELOAD, LD_AUDIT), choose where they come from (LD_LIBRARY_PATH) or change how they are bound"},
	{"DYLD_", "macOS's dyld reads DYLD_* variables, which load and redirect libraries as LD_* do on Linux"},
	{"BASH_FUNC_", "bash imports BASH_FUNC_NAME%% as the function NAME, which shadows the command a bootstrap runs"},
}

// LoaderEnv tells whether the environment variable name changes how an
// interpreter, a shell or the dynamic loader loads code, and why.
// Functions deployed over HTTP may set such a variable only when the
// operator allows it by name (Target.AllowEnv).
func LoaderEnv(name string) (why string, ok bool) {
	if why, ok := loaderEnv[name]; ok {
		return why, true
	}
	for _, p := range loaderEnvPrefixes {
		if strings.HasPrefix(name, p.prefix) {
			return p.why, true
		}
	}
	return "", false
}
