# fish completion for vivarium.
# Installed as $datadir/fish/vendor_completions.d/vivarium.fish.
# Keep in step with `vivarium --help`, `vivarium run --help`,
# `vivarium serve --help` and `vivarium packages --help`;
# tests/docs/check_docs.sh checks that every option is listed here.

# True while the words typed after `vivarium run` are still options: before
# the program (FILE, -, or -c CODE). After it, everything is the program's
# sys.argv.
function __vivarium_run_before_program
    set -l tokens (commandline -opc)
    set -l seen_run 0
    set -l skip 0
    for i in (seq 2 (count $tokens))
        set -l token $tokens[$i]
        if test $seen_run -eq 0
            if test "$token" = run
                set seen_run 1
            end
            continue
        end
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $token
            case -c
                # -c CODE: once CODE is typed, the program is given.
                if test $i -lt (count $tokens)
                    return 1
                end
                set skip 1
            case '-c?*'
                return 1
            case --file --output-dir --timeout --memory-limit --assets --packages-dir --wheels-dir --preload --cache-dir --sandbox-uids
                set skip 1
            case '--*=*' '-?*'
            case '*'
                return 1
        end
    end
    test $seen_run -eq 1
end

# True when the subcommand (the first word that is not an option: the global
# options take no value) is $argv[1].
function __vivarium_using_subcommand
    for token in (commandline -opc)[2..-1]
        switch $token
            case '-*'
            case '*'
                test "$token" = "$argv[1]"
                return
        end
    end
    return 1
end

# The names --preload offers (it takes a comma-separated list of them, or none).
function __vivarium_preload_names
    printf '%s\n' numpy pandas matplotlib none
end

# No file names unless asked for.
complete -c vivarium -f

# Global options and subcommands.
complete -c vivarium -n __fish_use_subcommand -s h -l help -d 'Print this help message and exit'
complete -c vivarium -n __fish_use_subcommand -l version -d 'Print the versions of vivarium, Pyodide, Python and V8'
complete -c vivarium -n __fish_use_subcommand -a run -d 'Run a Python program once in a fresh sandbox, like python3'
complete -c vivarium -n __fish_use_subcommand -a serve -d 'Serve the HTTP API: stateful Python sessions in locked-down processes'
complete -c vivarium -n __fish_use_subcommand -a mcp -d 'Serve MCP (Model Context Protocol) on stdio: run_python_code with persistent state'
complete -c vivarium -n __fish_use_subcommand -a packages -d 'List the Pyodide packages of the package folder, and which ones serve preloads'
complete -c vivarium -n __fish_use_subcommand -a sandbox-check -d 'Show which layers of the process wall this machine offers'
complete -c vivarium -n __fish_use_subcommand -a keys -d 'Make API keys for the --api-keys file of serve'
complete -c vivarium -n __fish_use_subcommand -a daemon -d 'Show or stop your warm zygotes for vivarium run'
# (The internal __zygote subcommand is left out on purpose.)

# vivarium run [OPTIONS] FILE|-|-c CODE [ARGS...]
set -l before '__fish_seen_subcommand_from run; and __vivarium_run_before_program'
complete -c vivarium -n $before -s h -l help -d 'Print the help of run and exit'
complete -c vivarium -n $before -s c -x -d 'Run CODE instead of a file; sys.argv[0] is -c'
complete -c vivarium -n $before -l file -r -F -d 'Copy a host file into the sandbox: HOST[:SANDBOX] (repeatable)'
complete -c vivarium -n $before -l output-dir -x -a '(__fish_complete_directories)' -d 'Write the files created or changed under /home/earth into DIR'
complete -c vivarium -n $before -l json -d 'Print the result as JSON instead of streaming stdout/stderr'
complete -c vivarium -n $before -l timeout -x -d 'Stop the program after SECONDS (decimals allowed)'
complete -c vivarium -n $before -l memory-limit -x -a '256M 512M 1G 2G 4G' -d 'Cap on Python memory (default 1G; plain number = MiB)'
complete -c vivarium -n $before -l assets -x -a '(__fish_complete_directories)' -d 'The Pyodide bundle folder'
complete -c vivarium -n $before -l packages-dir -x -a '(__fish_complete_directories)' -d 'A folder of Pyodide wheels with its pyodide-lock.json; imports load from it'
complete -c vivarium -n $before -l wheels-dir -x -a '(__fish_complete_directories)' -d 'A folder of pure-Python wheels that micropip.install may install'
complete -c vivarium -n $before -l preload -x -a '(__fish_complete_list , __vivarium_preload_names)' -d 'Packages to load and import before the program starts (comma-separated)'
complete -c vivarium -n $before -l cache-dir -x -a '(__fish_complete_directories)' -d 'Where compiled code caches are kept'
complete -c vivarium -n $before -l sandbox-uids -x -d 'As root, the uid range the program switches to: FIRST-LAST [env VIVARIUM_SANDBOX_UIDS]'
complete -c vivarium -n $before -l verbose -d 'Say on stderr which layers of the process wall are active'
complete -c vivarium -n $before -l no-daemon -d 'Boot Python for this run only, without a warm zygote [env VIVARIUM_NO_DAEMON=1]'
# The program (a script, or - for stdin) and its arguments: file names.
complete -c vivarium -n '__fish_seen_subcommand_from run' -F

# vivarium serve [OPTIONS]: every option takes a value and has an environment
# variable (and .env key) of its own; flags win.
set -l serve '__vivarium_using_subcommand serve'
complete -c vivarium -n $serve -s h -l help -d 'Print the help of serve and exit'
complete -c vivarium -n $serve -l host -x -a '(printf "%s\t%s\n" 127.0.0.1 "this machine only" 0.0.0.0 "every network: no authentication")' -d 'Address to listen on [env HOST, default 127.0.0.1]'
complete -c vivarium -n $serve -l port -x -d 'TCP port [env PORT, default 3080]'
complete -c vivarium -n $serve -l session-timeout -x -d 'Minutes without an execution before a session ends [env SESSION_TIMEOUT_MINUTES]'
complete -c vivarium -n $serve -l execution-timeout -x -d 'Seconds one execution may run [env EXECUTION_TIMEOUT_SECONDS]'
complete -c vivarium -n $serve -l memory-limit -x -a '256M 512M 1G 2G 4G' -d 'Python memory per session [env MEMORY_LIMIT, default 512M]'
complete -c vivarium -n $serve -l process-memory-limit -x -d 'Resident memory of a session process past which it is killed and reset [env PROCESS_MEMORY_LIMIT]'
complete -c vivarium -n $serve -l total-memory-limit -x -d 'Memory all sessions together may use; a new session past it gets HTTP 503 [env TOTAL_MEMORY_LIMIT]'
complete -c vivarium -n $serve -l max-sessions -x -d 'Sessions alive at once; more get HTTP 503 [env MAX_SESSIONS]'
complete -c vivarium -n $serve -l spare-sessions -x -d 'Session processes kept warm for new sessions; 0 for none [env SPARE_SESSIONS, default 2]'
complete -c vivarium -n $serve -l max-body-size -x -d 'Largest request body; larger gets HTTP 413 [env MAX_BODY_SIZE]'
complete -c vivarium -n $serve -l max-output-size -x -d 'std_out and std_err kept per execution, each [env MAX_OUTPUT_SIZE]'
complete -c vivarium -n $serve -l max-output-files-size -x -d 'Total size of output_files per execution [env MAX_OUTPUT_FILES_SIZE]'
complete -c vivarium -n $serve -l max-output-files -x -d 'Number of output_files per execution [env MAX_OUTPUT_FILES]'
complete -c vivarium -n $serve -l header-timeout -x -d 'Seconds to send a request's headers [env HEADER_TIMEOUT_SECONDS]'
complete -c vivarium -n $serve -l body-timeout -x -d 'Seconds to send a whole request body [env BODY_TIMEOUT_SECONDS]'
complete -c vivarium -n $serve -l write-timeout -x -d 'Seconds a client has to read a whole response [env WRITE_TIMEOUT_SECONDS]'
complete -c vivarium -n $serve -l keep-alive-timeout -x -d 'Seconds an idle connection stays open [env KEEP_ALIVE_TIMEOUT_SECONDS]'
complete -c vivarium -n $serve -l max-connections -x -d 'Client connections open at once; more get HTTP 503 [env MAX_CONNECTIONS]'
complete -c vivarium -n $serve -l max-json-depth -x -d 'Deepest nesting of a JSON request body [env MAX_JSON_DEPTH]'
complete -c vivarium -n $serve -l sandbox-uids -x -d 'As root: the uids sessions switch to, FIRST-LAST [env SANDBOX_UIDS]'
complete -c vivarium -n $serve -l require-full-sandbox -d 'Refuse to start when a layer of the process wall is missing [env REQUIRE_FULL_SANDBOX]'
complete -c vivarium -n $serve -l log-level -x -a 'error warn info debug' -d 'What to log [env LOG_LEVEL, default info]'
complete -c vivarium -n $serve -l assets -x -a '(__fish_complete_directories)' -d 'The Pyodide bundle folder [env VIVARIUM_ASSETS]'
complete -c vivarium -n $serve -l cache-dir -x -a '(__fish_complete_directories)' -d 'Where compiled code caches are kept [env PYODIDE_CACHE_DIR]'
complete -c vivarium -n $serve -l packages-dir -x -a '(__fish_complete_directories)' -d 'A folder of Pyodide wheels with its pyodide-lock.json [env VIVARIUM_PACKAGES_DIR]'
complete -c vivarium -n $serve -l wheels-dir -x -a '(__fish_complete_directories)' -d 'A folder of pure-Python wheels for micropip.install [env VIVARIUM_WHEELS_DIR]'
complete -c vivarium -n $serve -l preload -x -a '(__fish_complete_list , __vivarium_preload_names)' -d 'Packages imported in the zygote (comma-separated; none) [env PRELOAD]'
complete -c vivarium -n $serve -l mcp-allowed-origins -x -d 'Browser origins that may use /mcp besides localhost ones; * for any [env MCP_ALLOWED_ORIGINS]'
complete -c vivarium -n $serve -l log-format -x -a 'text json' -d 'Log lines as text or one JSON object each [env LOG_FORMAT, default text]'
complete -c vivarium -n $serve -l api-keys -r -F -d 'File of API keys, NAME:SHA256 a line [env VIVARIUM_API_KEYS_FILE]'
complete -c vivarium -n $serve -l allow-unauthenticated -d 'Listen beyond loopback without API keys [env ALLOW_UNAUTHENTICATED]'
complete -c vivarium -n $serve -l metrics-public -d 'Serve /metrics without an API key [env METRICS_PUBLIC]'
complete -c vivarium -n $serve -l trust-proxy -x -d 'Proxies whose X-Forwarded-For names the client address [env TRUST_PROXY]'
complete -c vivarium -n $serve -l max-sessions-per-key -x -d 'Sessions one API key may hold [env MAX_SESSIONS_PER_KEY, default 20]'
complete -c vivarium -n $serve -l max-executions-per-key -x -d 'Executions in flight per key or client address [env MAX_EXECUTIONS_PER_KEY, default 4]'
complete -c vivarium -n $serve -l rate-limit -x -d 'Requests per second per key or client address [env RATE_LIMIT, default 20]'
complete -c vivarium -n $serve -l rate-burst -x -d 'Requests at once above the rate [env RATE_BURST, default 40]'
complete -c vivarium -n $serve -l instance-id -x -d 'Name of this instance behind a load balancer [env INSTANCE_ID]'

# vivarium mcp [OPTIONS]: serve's limit, sandbox, package and log options.
set -l mcp '__vivarium_using_subcommand mcp'
complete -c vivarium -n $mcp -s h -l help -d 'Print the help of mcp and exit'
complete -c vivarium -n $mcp -l execution-timeout -x -d 'Seconds one execution may run [env EXECUTION_TIMEOUT_SECONDS]'
complete -c vivarium -n $mcp -l memory-limit -x -a '256M 512M 1G 2G 4G' -d 'Python memory per session [env MEMORY_LIMIT, default 512M]'
complete -c vivarium -n $mcp -l process-memory-limit -x -d 'Resident memory of a session process past which it is killed and reset [env PROCESS_MEMORY_LIMIT]'
complete -c vivarium -n $mcp -l total-memory-limit -x -d 'Memory all sessions together may use; a new session past it gets HTTP 503 [env TOTAL_MEMORY_LIMIT]'
complete -c vivarium -n $mcp -l max-body-size -x -d 'Largest request body; larger gets HTTP 413 [env MAX_BODY_SIZE]'
complete -c vivarium -n $mcp -l max-output-size -x -d 'std_out and std_err kept per execution, each [env MAX_OUTPUT_SIZE]'
complete -c vivarium -n $mcp -l max-output-files-size -x -d 'Total size of output_files per execution [env MAX_OUTPUT_FILES_SIZE]'
complete -c vivarium -n $mcp -l max-output-files -x -d 'Number of output_files per execution [env MAX_OUTPUT_FILES]'
complete -c vivarium -n $mcp -l max-json-depth -x -d 'Deepest nesting of a JSON request body [env MAX_JSON_DEPTH]'
complete -c vivarium -n $mcp -l sandbox-uids -x -d 'As root: the uids sessions switch to, FIRST-LAST [env SANDBOX_UIDS]'
complete -c vivarium -n $mcp -l require-full-sandbox -d 'Refuse to start when a layer of the process wall is missing [env REQUIRE_FULL_SANDBOX]'
complete -c vivarium -n $mcp -l log-level -x -a 'error warn info debug' -d 'What to log [env LOG_LEVEL, default info]'
complete -c vivarium -n $mcp -l assets -x -a '(__fish_complete_directories)' -d 'The Pyodide bundle folder [env VIVARIUM_ASSETS]'
complete -c vivarium -n $mcp -l cache-dir -x -a '(__fish_complete_directories)' -d 'Where compiled code caches are kept [env PYODIDE_CACHE_DIR]'
complete -c vivarium -n $mcp -l packages-dir -x -a '(__fish_complete_directories)' -d 'A folder of Pyodide wheels with its pyodide-lock.json [env VIVARIUM_PACKAGES_DIR]'
complete -c vivarium -n $mcp -l wheels-dir -x -a '(__fish_complete_directories)' -d 'A folder of pure-Python wheels for micropip.install [env VIVARIUM_WHEELS_DIR]'
complete -c vivarium -n $mcp -l preload -x -a '(__fish_complete_list , __vivarium_preload_names)' -d 'Packages imported in the zygote (comma-separated; none) [env PRELOAD]'

# vivarium packages [--packages-dir DIR] [--wheels-dir DIR] [--assets DIR] [--preload NAMES]
set -l packages '__vivarium_using_subcommand packages'
complete -c vivarium -n $packages -s h -l help -d 'Print the help of packages and exit'
complete -c vivarium -n $packages -l packages-dir -x -a '(__fish_complete_directories)' -d 'The package folder [env VIVARIUM_PACKAGES_DIR]'
complete -c vivarium -n $packages -l wheels-dir -x -a '(__fish_complete_directories)' -d 'The wheel folder for micropip [env VIVARIUM_WHEELS_DIR]'
complete -c vivarium -n $packages -l assets -x -a '(__fish_complete_directories)' -d 'The Pyodide bundle folder (to find the default)'
complete -c vivarium -n $packages -l preload -x -a '(__fish_complete_list , __vivarium_preload_names)' -d 'The preload list to report on, as for serve [env PRELOAD]'

# vivarium sandbox-check [--sandbox-uids FIRST-LAST]
set -l sandbox_check '__vivarium_using_subcommand sandbox-check'
complete -c vivarium -n $sandbox_check -s h -l help -d 'Print the help of sandbox-check and exit'
complete -c vivarium -n $sandbox_check -l sandbox-uids -x -d 'The uid range to try, as for serve [env SANDBOX_UIDS]'

# vivarium keys new NAME
set -l keys '__vivarium_using_subcommand keys'
complete -c vivarium -n $keys -s h -l help -d 'Print the help of keys and exit'
complete -c vivarium -n "$keys; and not __fish_seen_subcommand_from new" -f -a new -d 'Print a fresh API key and the line to add to the key file'

# vivarium daemon status | stop
set -l daemon '__vivarium_using_subcommand daemon'
complete -c vivarium -n $daemon -s h -l help -d 'Print the help of daemon and exit'
complete -c vivarium -n "$daemon; and not __fish_seen_subcommand_from status stop" -f -a status -d 'List your warm zygotes'
complete -c vivarium -n "$daemon; and not __fish_seen_subcommand_from status stop" -f -a stop -d 'Stop every warm zygote of yours'
