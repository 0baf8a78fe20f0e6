# Checks the VM e2e tests share (vm_runtime.sh, vm_pool.sh), sourced after berthd.bash.

# check_web_vm NAME PORT WHAT: the container NAME, started with -v "$T/vol:/data" and
# -p 127.0.0.1:PORT:8080 running `cat /data/in.txt; echo guest-wrote >/data/out.txt;
# echo started; exec httpd -f -p 8080 -h /data`, shows its output in logs, shares the volume
# both ways and answers on the published port. WHAT names it in the lines ("guest", "pooled guest").
check_web_vm() {
  local name=$1 port=$2 what=$3
  if wait_for_log "$name" started; then ok "docker logs shows what the $what's process wrote"
  else not_ok "logs of the $what" "$(why)"; fi
  docker logs "$name"
  if [[ $OUT == *host-wrote* ]]; then ok "the $what reads a file the host put in the volume"
  else not_ok "volume host->$what" "$(why)"; fi
  if [[ "$(cat "$T/vol/out.txt" 2>/dev/null)" == guest-wrote ]]; then ok "the host reads a file the $what wrote in the volume"
  else not_ok "volume $what->host" "$(ls -la "$T/vol")"; fi
  # "started" comes just before httpd binds: a refused connection is retried (60 s at most).
  capture curl -sS --max-time 10 --retry 10 --retry-delay 1 --retry-max-time 60 --retry-connrefused \
    "http://127.0.0.1:$port/in.txt"
  if [[ $RC -eq 0 && $OUT == host-wrote ]]; then ok "-p 127.0.0.1:$port:8080 reaches the $what's httpd"
  else not_ok "published port to the $what" "$(why)"; fi
}
