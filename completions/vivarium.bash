# bash completion for vivarium                              -*- shell-script -*-
# Installed as $datadir/bash-completion/completions/vivarium.
# Keep in step with `vivarium --help`, `vivarium run --help`,
# `vivarium serve --help` and `vivarium packages --help`;
# tests/docs/check_docs.sh checks that every option is listed here.

# The value of --preload: a comma-separated list of package names, or "none".
# Completes the name after the last comma, keeping what comes before it.
_vivarium_preload()
{
    local cur=$1 prefix=''
    [[ $cur == *,* ]] && prefix=${cur%,*},
    mapfile -t COMPREPLY < <(compgen -P "$prefix" -W 'numpy pandas matplotlib' -- "${cur##*,}")
    if [[ -z $prefix ]]; then
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W 'none' -- "$cur")
    fi
}

# The values that run, serve and packages share: folders, --memory-limit and --preload.
# Completes the value of option $1 at $2 and succeeds, or fails for any other option.
_vivarium_shared_value()
{
    case $1 in
        --output-dir | --assets | --packages-dir | --wheels-dir | --cache-dir)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$2")
            ;;
        --memory-limit)
            mapfile -t COMPREPLY < <(compgen -W '256M 512M 1G 2G 4G' -- "$2")
            ;;
        --preload)
            _vivarium_preload "$2"
            ;;
        *)
            return 1
            ;;
    esac
}

_vivarium()
{
    # split is set by _init_completion -s; it is local here on purpose.
    # shellcheck disable=SC2034
    local cur prev words cword split
    if declare -F _init_completion >/dev/null 2>&1; then
        # -s: --opt=value is split into prev=--opt, cur=value.
        _init_completion -s || return
    else
        # Without bash-completion: COMP_WORDS breaks --opt=value into
        # "--opt" "=" "value"; join them back, as _init_completion does.
        words=()
        cword=0
        local j
        for ((j = 0; j < ${#COMP_WORDS[@]}; j++)); do
            if [[ ${COMP_WORDS[j]} == = && ${words[${#words[@]} - 1]} == --* ]] && ((j > 0)); then
                words[${#words[@]} - 1]+="=${COMP_WORDS[j + 1]}"
                ((j == COMP_CWORD || j + 1 == COMP_CWORD)) && cword=$((${#words[@]} - 1))
                ((j++))
            else
                words+=("${COMP_WORDS[j]}")
                ((j == COMP_CWORD)) && cword=$((${#words[@]} - 1))
            fi
        done
        cur=${words[cword]}
        prev=${words[cword - 1]}
        if [[ $cur == --*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
        fi
    fi

    local global_opts='--help -h --version'
    # The internal __zygote and __run-host subcommands are left out on purpose.
    local subcommands='run serve mcp packages sandbox-check keys daemon'
    local run_opts='--help -h -c --file --output-dir --json --timeout --memory-limit --assets --packages-dir --wheels-dir --preload --cache-dir --sandbox-uids --verbose --no-daemon'
    local serve_opts='--help -h --host --port --session-timeout --execution-timeout --memory-limit --process-memory-limit --total-memory-limit --max-sessions --spare-sessions --max-body-size --max-output-size --max-output-files-size --max-output-files --header-timeout --body-timeout --write-timeout --keep-alive-timeout --max-connections --max-json-depth --sandbox-uids --require-full-sandbox --log-level --assets --cache-dir --packages-dir --wheels-dir --preload --mcp-allowed-origins --log-format --api-keys --allow-unauthenticated --metrics-public --trust-proxy --max-sessions-per-key --max-executions-per-key --rate-limit --rate-burst --instance-id'
    local mcp_opts='--help -h --execution-timeout --memory-limit --process-memory-limit --total-memory-limit --max-body-size --max-output-size --max-output-files-size --max-output-files --max-json-depth --sandbox-uids --require-full-sandbox --log-level --assets --cache-dir --packages-dir --wheels-dir --preload'
    local packages_opts='--help -h --packages-dir --wheels-dir --assets --preload'
    local sandbox_check_opts='--help -h --sandbox-uids'
    local keys_opts='--help -h new'

    # Find the subcommand: the first word that is not a global option.
    local i subcmd='' subcmd_index=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -*) ;;
            *)
                subcmd=${words[i]}
                subcmd_index=$i
                break
                ;;
        esac
    done

    if [[ -z $subcmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$subcommands" -- "$cur")
        fi
        return
    fi

    case $subcmd in
        run)
            # Once the program (FILE, -, or -c CODE) is given, the rest is the
            # program's sys.argv: complete file names only.
            local word
            for ((i = subcmd_index + 1; i < cword; i++)); do
                word=${words[i]}
                case $word in
                    -c)
                        # -c CODE: the program is CODE; what follows is sys.argv.
                        if ((i + 1 < cword)); then
                            compopt -o filenames 2>/dev/null
                            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                            return
                        fi
                        ;;
                    -c?*)
                        compopt -o filenames 2>/dev/null
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                        return
                        ;;
                    --*=*) ;;
                    --file | --output-dir | --timeout | --memory-limit | --assets | --packages-dir | --wheels-dir | --preload | --cache-dir | --sandbox-uids)
                        ((i++))
                        ;;
                    -)
                        compopt -o filenames 2>/dev/null
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                        return
                        ;;
                    -*) ;;
                    *)
                        compopt -o filenames 2>/dev/null
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                        return
                        ;;
                esac
            done

            # The value of an option: the word after it, or after --opt=.
            local opt=''
            case $prev in
                -c | --file | --output-dir | --timeout | --memory-limit | --assets | --packages-dir | --wheels-dir | --preload | --cache-dir | --sandbox-uids)
                    opt=$prev
                    ;;
            esac

            _vivarium_shared_value "$opt" "$cur" && return
            case $opt in
                --file)
                    compopt -o filenames 2>/dev/null
                    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                    return
                    ;;
                --timeout | -c)
                    # A number of seconds, or Python code: nothing to offer.
                    COMPREPLY=()
                    return
                    ;;
            esac

            if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$run_opts" -- "$cur")
            else
                # The program: a script file, or - for stdin.
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            ;;
        serve)
            # Every option takes a value; there are no positional arguments.
            _vivarium_shared_value "$prev" "$cur" && return
            case $prev in
                --host)
                    mapfile -t COMPREPLY < <(compgen -W '127.0.0.1 0.0.0.0' -- "$cur")
                    return
                    ;;
                --log-level)
                    mapfile -t COMPREPLY < <(compgen -W 'error warn info debug' -- "$cur")
                    return
                    ;;
                --log-format)
                    mapfile -t COMPREPLY < <(compgen -W 'text json' -- "$cur")
                    return
                    ;;
                --port | --session-timeout | --execution-timeout | --max-sessions | --spare-sessions | --max-body-size | \
                    --max-output-size | --max-output-files-size | --max-output-files | --process-memory-limit | --total-memory-limit | --header-timeout | \
                    --body-timeout | --write-timeout | --keep-alive-timeout | --max-connections | --max-json-depth | --sandbox-uids | \
                    --mcp-allowed-origins | --trust-proxy | --max-sessions-per-key | --max-executions-per-key | \
                    --rate-limit | --rate-burst | --instance-id)
                    # A number or a size: nothing to offer.
                    COMPREPLY=()
                    return
                    ;;
            esac
            mapfile -t COMPREPLY < <(compgen -W "$serve_opts" -- "$cur")
            ;;
        mcp)
            # serve's limit, sandbox, package and log options; no positional arguments.
            _vivarium_shared_value "$prev" "$cur" && return
            case $prev in
                --log-level)
                    mapfile -t COMPREPLY < <(compgen -W 'error warn info debug' -- "$cur")
                    return
                    ;;
                --execution-timeout | --max-body-size | --max-output-size | --max-output-files-size | --max-output-files | \
                    --process-memory-limit | --total-memory-limit | --max-json-depth | --sandbox-uids)
                    COMPREPLY=()
                    return
                    ;;
            esac
            mapfile -t COMPREPLY < <(compgen -W "$mcp_opts" -- "$cur")
            ;;
        packages)
            # Every option takes a value; there are no positional arguments.
            _vivarium_shared_value "$prev" "$cur" && return
            mapfile -t COMPREPLY < <(compgen -W "$packages_opts" -- "$cur")
            ;;
        sandbox-check)
            case $prev in
                --sandbox-uids)
                    COMPREPLY=()
                    return
                    ;;
            esac
            mapfile -t COMPREPLY < <(compgen -W "$sandbox_check_opts" -- "$cur")
            ;;
        keys)
            # keys new NAME: the name is the user's to choose.
            mapfile -t COMPREPLY < <(compgen -W "$keys_opts" -- "$cur")
            ;;
        daemon)
            # daemon status | daemon stop
            mapfile -t COMPREPLY < <(compgen -W "--help -h status stop" -- "$cur")
            ;;
        *)
            compopt -o default 2>/dev/null
            COMPREPLY=()
            ;;
    esac
} &&
    complete -F _vivarium vivarium

# ex: filetype=sh
