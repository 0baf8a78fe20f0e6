# bash completion for berth (source it, or install as
# /usr/share/bash-completion/completions/berth). Commands and flags are
# listed here; container and image names come from the daemon.

_berth_containers() { berth ps -a --format '{{.Names}}' 2>/dev/null; }
_berth_running() { berth ps --format '{{.Names}}' 2>/dev/null; }
_berth_networks() { berth network ls --format '{{.Name}}' 2>/dev/null; }
_berth_volumes() { berth volume ls -q 2>/dev/null; }
_berth_images() { berth images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>'; }

_berth() {
  local cur prev words cword
  _init_completion -n : 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }

  local top="attach commit container cp create diff events exec export history image images import info inspect
             kill load logs network pause port ps rename restart rm rmi run save start stats stop system tag top unpause
             update version volume wait"
  local run_flags="-a --attach --cap-add --cap-drop --cidfile --cpu-shares --cpus --cpuset-cpus -d --detach
                   --detach-keys --entrypoint -e --env --env-file --expose -h --hostname --help -i --init --interactive
                   --ip --ip6 -l --label -m --memory --memory-swap --mount --name --net --network --network-alias -p
                   -P --pids-limit --privileged --publish --publish-all --pull --read-only --restart --rm
                   --security-opt --sig-proxy --stop-signal --stop-timeout -t --tmpfs --tty --ulimit -u --user -v
                   --volume --volumes-from -w --workdir"

  # Find the command (and the group's subcommand) after the global flags.
  local i cmd="" sub=""
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -H|--host|-l|--log-level) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub && $cmd =~ ^(container|image|system|network|volume)$ ]]; then sub=${words[i]}; fi ;;
    esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$top -H --host -D --debug -l --log-level -v --version --help" -- "$cur"))
    return
  fi
  case $cmd in
    container)
      [[ -z $sub ]] && { COMPREPLY=($(compgen -W "attach commit cp create diff exec export inspect kill logs ls list
        pause port prune ps rename restart rm run start stats stop top unpause update wait" -- "$cur")); return; }
      cmd=$sub ;;
    image)
      [[ -z $sub ]] && { COMPREPLY=($(compgen -W "history import inspect load ls list prune rm save tag" -- "$cur")); return; }
      case $sub in ls|list) cmd=images ;; rm) cmd=rmi ;; *) cmd=$sub ;; esac ;;
    system)
      [[ -z $sub ]] && { COMPREPLY=($(compgen -W "df events info" -- "$cur")); return; }
      cmd=$sub ;;
    network)
      [[ -z $sub ]] && { COMPREPLY=($(compgen -W "connect create disconnect inspect ls list prune rm remove" -- "$cur")); return; }
      cmd=network-$sub ;;
    volume)
      [[ -z $sub ]] && { COMPREPLY=($(compgen -W "create inspect ls list prune rm remove" -- "$cur")); return; }
      cmd=volume-$sub ;;
  esac

  case $prev in
    --network|--net) COMPREPLY=($(compgen -W "none host bridge $(_berth_networks)" -- "$cur")); return ;;
    --volumes-from) COMPREPLY=($(compgen -W "$(_berth_containers)" -- "$cur")); return ;;
    --mount) COMPREPLY=($(compgen -W "type=volume, type=bind, type=tmpfs," -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
    -v|--volume) [[ $cmd == run || $cmd == create ]] && { COMPREPLY=($(compgen -W "$(_berth_volumes | sed 's/$/:/')" -- "$cur") $(compgen -f -- "$cur")); compopt -o nospace 2>/dev/null; return; } ;;
    -d|--driver) [[ $cmd == network-create ]] && { COMPREPLY=($(compgen -W "bridge" -- "$cur")); return; }
                 [[ $cmd == volume-create ]] && { COMPREPLY=($(compgen -W "local" -- "$cur")); return; } ;;
    --pull) COMPREPLY=($(compgen -W "always missing never" -- "$cur")); return ;;
    --restart) COMPREPLY=($(compgen -W "no always on-failure unless-stopped" -- "$cur")); return ;;
    -a|--attach) [[ $cmd == run || $cmd == create ]] && { COMPREPLY=($(compgen -W "stdin stdout stderr" -- "$cur")); return; } ;;
    --type) COMPREPLY=($(compgen -W "container image" -- "$cur")); return ;;
    --env-file|--cidfile|-o|--output|-i|--input) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -s|--signal|--stop-signal) COMPREPLY=($(compgen -W "SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2" -- "$cur")); return ;;
  esac

  local flags=""
  case $cmd in
    run|create) flags=$run_flags ;;
    ps|ls|list) flags="-a --all -f --filter --format -n --last -l --latest --no-trunc -q --quiet -s --size" ;;
    images) flags="-a --all --digests -f --filter --format --no-trunc -q --quiet" ;;
    start) flags="-a --attach -i --interactive --detach-keys" ;;
    stop|restart) flags="-t --time -s --signal" ;;
    kill) flags="-s --signal" ;;
    rm) flags="-f --force -v --volumes" ;;
    rmi) flags="-f --force --no-prune" ;;
    logs) flags="--details -f --follow --since -n --tail -t --timestamps --until" ;;
    exec) flags="-d --detach --detach-keys -e --env --env-file -i --interactive --privileged -t --tty -u --user -w --workdir" ;;
    attach) flags="--detach-keys --no-stdin --sig-proxy" ;;
    inspect) flags="-f --format -s --size --type" ;;
    stats) flags="-a --all --format --no-stream --no-trunc" ;;
    cp) flags="-a --archive -L --follow-link -q --quiet" ;;
    commit) flags="-a --author -c --change -m --message -p --pause" ;;
    update) flags="--cpu-shares --cpus --cpuset-cpus -m --memory --memory-swap --pids-limit --restart" ;;
    events) flags="-f --filter --format --since --until" ;;
    history) flags="--format -H --human --no-trunc -q --quiet" ;;
    import) flags="-c --change -m --message" ;;
    load) flags="-i --input -q --quiet" ;;
    save|export) flags="-o --output" ;;
    prune) flags="-a --all -f --force --filter" ;;
    version|info|df) flags="-f --format" ;;
    network-create) flags="--attachable --aux-address --config-from --config-only -d --driver --gateway --ingress --internal
                           --ip-range --ipam-driver --ipam-opt --ipv6 --label -o --opt --scope --subnet" ;;
    network-ls|network-list) flags="-f --filter --format --no-trunc -q --quiet" ;;
    network-inspect) flags="-f --format -v --verbose" ;;
    network-rm|network-remove) flags="-f --force" ;;
    network-prune) flags="--filter -f --force" ;;
    network-connect) flags="--alias --driver-opt --ip --ip6 --link --link-local-ip" ;;
    network-disconnect) flags="-f --force" ;;
    volume-create) flags="-d --driver --label --name -o --opt" ;;
    volume-ls|volume-list) flags="-f --filter --format -q --quiet" ;;
    volume-inspect) flags="-f --format" ;;
    volume-rm|volume-remove) flags="-f --force" ;;
    volume-prune) flags="-a --all --filter -f --force" ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
    return
  fi
  case $cmd in
    run|create|images|rmi|history|save|tag) COMPREPLY=($(compgen -W "$(_berth_images)" -- "$cur")) ;;
    exec|attach|pause|top|stats|kill) COMPREPLY=($(compgen -W "$(_berth_running)" -- "$cur")) ;;
    start|stop|restart|rm|unpause|wait|logs|inspect|rename|update|diff|export|commit|port)
      COMPREPLY=($(compgen -W "$(_berth_containers)" -- "$cur")) ;;
    cp) COMPREPLY=($(compgen -W "$(_berth_containers | sed 's/$/:/')" -- "$cur") $(compgen -f -- "$cur")); compopt -o nospace 2>/dev/null ;;
    import|load) COMPREPLY=($(compgen -f -- "$cur")) ;;
    network-inspect|network-rm|network-remove) COMPREPLY=($(compgen -W "$(_berth_networks)" -- "$cur")) ;;
    network-connect|network-disconnect)
      # NETWORK, then CONTAINER: count the words after the subcommand.
      local n=0 j seen=0
      for ((j = 1; j < cword; j++)); do
        [[ ${words[j]} == "$sub" ]] && { seen=1; continue; }
        ((seen)) && [[ ${words[j]} != -* && ${words[j-1]} != --ip && ${words[j-1]} != --ip6 && ${words[j-1]} != --alias ]] && ((n++))
      done
      if ((n == 0)); then COMPREPLY=($(compgen -W "$(_berth_networks)" -- "$cur")); else COMPREPLY=($(compgen -W "$(_berth_containers)" -- "$cur")); fi ;;
    volume-inspect|volume-rm|volume-remove) COMPREPLY=($(compgen -W "$(_berth_volumes)" -- "$cur")) ;;
  esac
}
complete -F _berth berth
