#!/usr/bin/env bash
# Checks that the man page and the shell completions cover the command line.
#
# Usage: tests/docs/check_docs.sh VIVARIUM_BINARY REPO_ROOT
#
# Every long option (--xxx) and short option (-c) that appears in
# `vivarium --help`, and in `vivarium SUBCMD --help` for every subcommand that
# `vivarium --help` lists (recursively, for nested subcommands), must appear in
# man/vivarium.1, completions/vivarium.bash, completions/_vivarium and
# completions/vivarium.fish; so must every subcommand.
# Exit status: 0 when everything is covered (one summary line on stdout),
# 1 when something is missing (one line per gap on stderr), 2 on bad usage.
set -uo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 VIVARIUM_BINARY REPO_ROOT" >&2
    exit 2
fi
binary=$1
root=$2
if [[ ! -x $binary ]]; then
    echo "check_docs: $binary is not an executable" >&2
    exit 2
fi

man_page=man/vivarium.1
bash_completion=completions/vivarium.bash
zsh_completion=completions/_vivarium
fish_completion=completions/vivarium.fish
doc_files=("$man_page" "$bash_completion" "$zsh_completion" "$fish_completion")

failures=0
fail() {
    echo "check_docs: $*" >&2
    failures=$((failures + 1))
}

# --- the documents, without comments; the man page with roff escapes undone ---
declare -A text
for file in "${doc_files[@]}"; do
    if [[ ! -s $root/$file ]]; then
        fail "$file is missing or empty"
        text[$file]=''
        continue
    fi
    case $file in
        *.1)
            # Drop comment lines (.\" and '\"), turn \- into -, strip font
            # changes (\fB \fI \fR \fP \f(XX \f[XX]) and \& / \% / \: markers.
            text[$file]=$(sed -E \
                -e '/^[.'\'']\\"/d' \
                -e 's/\\-/-/g' \
                -e 's/\\f(\[[^]]*\]|\([A-Za-z]{2}|[A-Za-z0-9])//g' \
                -e 's/\\[&%:]//g' \
                "$root/$file")
            ;;
        *)
            text[$file]=$(sed -E -e '/^[[:space:]]*#/d' "$root/$file")
            ;;
    esac
done

# grep -E pattern that matches a literal string.
regex_quote() {
    sed -E 's/[][\.^$*+?(){}|/]/\\&/g' <<<"$1"
}

# Is the option (--long or -s) mentioned in the document?
option_in() {
    local option=$1 file=$2 quoted name
    if [[ $file == "$fish_completion" ]]; then
        # fish spells options as `-l name` / `--long-option name` and
        # `-s c` / `--short-option c` (the bare "-c" of `complete -c` means
        # the command, so it does not count).
        if [[ $option == --* ]]; then
            name=$(regex_quote "${option#--}")
            grep -Eq -- "(^|[[:space:]])(-l|--long-option)(=|[[:space:]]+)['\"]?${name}['\"]?([[:space:]]|$)" <<<"${text[$file]}"
        else
            name=$(regex_quote "${option#-}")
            grep -Eq -- "(^|[[:space:]])(-s|--short-option)(=|[[:space:]]+)['\"]?${name}['\"]?([[:space:]]|$)" <<<"${text[$file]}"
        fi
        return
    fi
    quoted=$(regex_quote "$option")
    case $file in
        "$bash_completion")
            # Offered as a candidate: inside a quoted word list such as
            # compgen -W '--help -h -c ...' or an array literal opts=(...);
            # a bare case label does not count.
            grep -Pq -- "(['\"]|=\()[^'\"()]*(?<![A-Za-z0-9_-])${quoted}(?![A-Za-z0-9_-])[^'\"()]*(['\"]|\))" <<<"${text[$file]}"
            ;;
        "$zsh_completion")
            # In an _arguments / _describe spec: '--json[...]', '*--file=[...]',
            # '(1)-c+[...]', {-h,--help}'[...]'; a bare case label does not count.
            grep -Pq -- "['\"{,)*]${quoted}(?=[=+\[:'\"},]|-[\[:])" <<<"${text[$file]}"
            ;;
        *)
            # A whole word: not part of a longer option or a hyphenated word.
            grep -Eq -- "(^|[^A-Za-z0-9_-])${quoted}([^A-Za-z0-9_-]|$)" <<<"${text[$file]}"
            ;;
    esac
}

# Is the subcommand (for example "run") named in the document as a command?
subcommand_in() {
    local name=$1 file=$2 quoted
    quoted=$(regex_quote "$name")
    case $file in
        *.1)
            # In bold: a `.B run` / `.BR run ...` line, or \fBrun\fR inline
            # (the fonts are stripped by then, so look for the macro lines or
            # `vivarium run` in the synopsis).
            grep -Eq -- "^\.(B|BR|BI|SS|TP|IP)[[:space:]]+\"?${quoted}\"?([[:space:]]|$)|vivarium[[:space:]]+${quoted}([^A-Za-z0-9_-]|$)" <<<"${text[$file]}"
            ;;
        *.fish)
            # Offered as an argument: -a run / -a 'run serve' / --arguments ...
            grep -Eq -- "(-a|--arguments)(=|[[:space:]]+)(['\"][^'\"]*(^|[^A-Za-z0-9_-])${quoted}([^A-Za-z0-9_-][^'\"]*)?['\"]|${quoted}([[:space:]]|$))" <<<"${text[$file]}"
            ;;
        *)
            grep -Eq -- "(^|[^A-Za-z0-9_-])${quoted}([^A-Za-z0-9_-]|$)" <<<"${text[$file]}"
            ;;
    esac
}

# --- what the binary documents ---------------------------------------------
# help_of "run" -> output of `vivarium run --help`; help_of "" -> `vivarium --help`.
help_of() {
    local -a words=()
    [[ -n $1 ]] && read -ra words <<<"$1"
    "$binary" "${words[@]}" --help 2>&1
}

# Options (-x / --xxx) mentioned anywhere in a help text.
options_of_help() {
    grep -oP -- '(?<![A-Za-z0-9_-])(--[A-Za-z0-9][A-Za-z0-9_-]*|-[A-Za-z])(?![A-Za-z0-9_-])' <<<"$1" | sort -u
}

# Subcommands listed in the "Subcommands:" section of a help text (CLI11 layout:
# a heading line, then one indented "  name   description" line each).
subcommands_of_help() {
    awk '
        /^[^[:space:]].*:[[:space:]]*$/ { in_section = ($0 ~ /^Subcommands:/); next }
        /^[[:space:]]*$/ { in_section = 0; next }
        in_section && /^[[:space:]]+[A-Za-z0-9]/ { print $1 }
    ' <<<"$1"
}

declare -A option_sources=()   # option -> the help texts it appears in
all_subcommands=()
queue=("")                     # command paths to read the help of: "", "run", ...
checked_commands=0
while ((${#queue[@]} > 0)); do
    path=${queue[0]}
    queue=("${queue[@]:1}")
    label="vivarium${path:+ $path} --help"
    help=$(help_of "$path")
    if [[ -z $help ]] || ! grep -q -- '--help' <<<"$help"; then
        fail "\`$label\` printed no usable help"
        continue
    fi
    checked_commands=$((checked_commands + 1))
    while read -r option; do
        [[ -z $option ]] && continue
        option_sources[$option]+="${option_sources[$option]:+, }\`$label\`"
    done < <(options_of_help "$help")
    # Nested subcommands are found the same way; depth is bounded.
    depth=$(wc -w <<<"$path")
    if ((depth < 3)); then
        while read -r sub; do
            [[ -z $sub ]] && continue
            all_subcommands+=("$sub")
            queue+=("${path:+$path }$sub")
        done < <(subcommands_of_help "$help")
    fi
done

if ((${#option_sources[@]} == 0)); then
    fail "found no options in \`vivarium --help\`: is $binary the vivarium binary?"
fi
if ((${#all_subcommands[@]} == 0)); then
    fail "found no subcommands in \`vivarium --help\`"
fi

# --- compare ---------------------------------------------------------------
mapfile -t options < <(printf '%s\n' "${!option_sources[@]}" | sort)
for option in "${options[@]}"; do
    for file in "${doc_files[@]}"; do
        [[ -z ${text[$file]} ]] && continue
        option_in "$option" "$file" ||
            fail "option $option (from ${option_sources[$option]}) is missing from $file"
    done
done
for sub in "${all_subcommands[@]}"; do
    for file in "${doc_files[@]}"; do
        [[ -z ${text[$file]} ]] && continue
        subcommand_in "$sub" "$file" ||
            fail "subcommand $sub (from \`vivarium --help\`) is missing from $file"
    done
done

if ((failures > 0)); then
    echo "check_docs: FAILED: $failures gap(s) in the man page and completions" >&2
    exit 1
fi
echo "check_docs: OK: ${#options[@]} options (${options[*]}) and ${#all_subcommands[@]} subcommand(s) (${all_subcommands[*]}) from $checked_commands help texts are in ${doc_files[*]}"
exit 0
