# bash completion for onlinkctl (installed as
# /usr/share/bash-completion/completions/onlinkctl).
#
# Nothing is copied from the CLI: the commands and options come from
# `onlinkctl --help` (read once per shell), tap names from the running
# daemon's `onlinkctl list --json` (with the --socket given on the line).

# The commands ("Commands:" section: first word of lines indented by two) and
# every --option of the help, one per line each, cached per shell.
_onlinkctl_help() {
  [[ -n ${_onlinkctl_commands-} ]] && return 0
  local help
  help=$("${1:-onlinkctl}" --help 2>/dev/null) || return 1
  _onlinkctl_helptext=$help
  _onlinkctl_commands=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/{s/^  \([a-z][a-z0-9-]*\) .*/\1/p}')
  _onlinkctl_options=$(printf '%s\n' "$help" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
}

# Tap names of the daemon's bindings (binding-list; its JSON puts each tap at six spaces).
_onlinkctl_taps() {
  "$@" list --json 2>/dev/null | sed -n 's/^      "tap": "\([^"]*\)",\{0,1\}$/\1/p'
}

_onlinkctl() {
  local cur prev cmd=() word command="" i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cmd=("${COMP_WORDS[0]}")
  _onlinkctl_help "${COMP_WORDS[0]}" || return 0
  # The command word, and the --socket/-s to ask for taps on.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    case $word in
      -s | --socket) cmd+=(--socket "${COMP_WORDS[i+1]}"); ((i++)) ;;
      --socket=*) cmd+=("$word") ;;
      -t | --timeout | --from | --limit) ((i++)) ;;
      -*) ;;
      *) [[ -z $command ]] && command=$word ;;
    esac
  done
  case $prev in
    -s | --socket) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    -t | --timeout | --limit) return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$_onlinkctl_options" -- "$cur"))
  elif [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "$_onlinkctl_commands" -- "$cur"))
  elif [[ $prev == "$command" ]]; then
    # The commands that take a TAP first: show, bind, unbind, announce, stats (from the help's "CMD TAP" / "CMD [TAP]").
    if printf '%s\n' "$_onlinkctl_helptext" | grep -Eq "^  $command \[?TAP"; then
      COMPREPLY=($(compgen -W "$(_onlinkctl_taps "${cmd[@]}")" -- "$cur"))
    fi
  fi
  return 0
}
complete -F _onlinkctl onlinkctl
