# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cachectl_global_optspecs
    string join \n u/url= target= config= user= password-env= sentinel-user= sentinel-password-env= tls-ca= tls-insecure cluster timeout= o/output= v/verbose no-color h/help V/version
end

function __fish_cachectl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cachectl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cachectl_using_subcommand
    set -l cmd (__fish_cachectl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cachectl -n "__fish_cachectl_needs_command" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_needs_command" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_needs_command" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_needs_command" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_needs_command" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_needs_command" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_needs_command" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_needs_command" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_needs_command" -s V -l version -d 'Print version'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "get" -d 'Read keys: type, TTL and value (JSON pretty-printed on a terminal)'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "set" -d 'Write one key with a TTL, atomically (SET ... EX)'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "invalidate" -d 'Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "invalidate-pattern" -d 'Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "warm" -d 'Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become keys with TTLs'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "inspect" -d 'Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "ttl-audit" -d 'Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "backup" -d 'Back up the keys matching a pattern to a file, deleting nothing (DUMP and expiry, compressed; restore with `cachectl restore`)'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "restore" -d 'Put keys back from a backup file, each with the expiry it had'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "targets" -d 'List the named targets of the config file (no secrets), marking the default; `targets use NAME` makes NAME the default'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "doctor" -d 'Can cachectl run here? Target, topology, server, user, what each command may do, round trip, memory policy; exit 0 when all is well'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "watch" -d 'Live churn per key family (sets, deletions, expirations, evictions) from every master\'s keyspace notifications, with the hit ratio; one JSON line per interval with -o json'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c cachectl -n "__fish_cachectl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l limit -d 'Read at most this many elements of a collection (sorted sets from the lowest score)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l max-bytes -d 'Show at most this many bytes of a string value (with --raw the whole value is streamed)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l raw -d 'Print string values exactly as stored, even on a terminal'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l rev -d 'Sorted sets from the highest score down, as a leaderboard is read'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -s f -l file -d 'Read the value from a file; `-` reads standard input' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l ttl -d 'Time to live: seconds or a duration (3600, 30m, 1h, 1h30m)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l persist -d 'Write without a TTL. Cache entries without TTL never leave: ask for it explicitly'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l keep-ttl -d 'Keep the key\'s current TTL (SET ... KEEPTTL)'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l json -d 'Validate the value as JSON and store it compact'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l nx -d 'Only write when the key does not exist'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l xx -d 'Only write when the key exists'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l dry-run -d 'Show what would be written; write nothing'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l prefix -d 'Key prefix of the cached resource (the decorator\'s key_prefix): deletes PREFIX:ID' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l id -d 'Resource id as NAME=VALUE (the decorator\'s resource_id_name); NAME also becomes a variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l extra -d 'Extra key as PREFIX=TEMPLATE, deleting PREFIX:TEMPLATE (the decorator\'s to_invalidate_extra)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l var -d 'Template variable as NAME=VALUE' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l pattern -d 'Glob template swept like invalidate-pattern, taken verbatim (no `*` appended); values from --var are glob-escaped' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l exclude -d 'Leave keys matching this glob alone (repeatable)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l protect -d 'Never delete keys in this namespace, whatever the pattern; reported as skipped (repeatable, e.g. \'ratelimit:*\' \'arq:*\')' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l max-keys -d 'More keys than this is a broad deletion: refused without --yes off a terminal, confirmed by typing the count on one [default: the target\'s max_keys, or 10000]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l show -d 'Dry run: how many matched keys to list, or `all`' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l backup -d 'Before each batch is deleted, write its keys (DUMP and expiry) to this new file and flush it to disk; `cachectl restore FILE` puts them back' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l log -d 'Append one JSON line per key deleted (key, op, time, node, reason) to this file, `-` for stderr; flushed batch by batch' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l checkpoint -d 'Keep where each master\'s scan is in this file as the sweep goes; the same command run again with it continues from there (after Ctrl-C, SIGTERM, a crash or a fault). Removed when the sweep completes. One pattern only' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l count -d 'Fixed SCAN COUNT instead of sizing batches to --budget' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l budget -d 'Longest another client should wait behind our requests (sizes the batches)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l rate -d 'Act on at most N keys per second per master' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l retries -d 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l type -d 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -s y -l yes -d 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l dry-run -d 'Count and show what would be deleted; delete nothing'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l scan-replica -d 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l exclude -d 'Leave keys matching this glob alone (repeatable)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l protect -d 'Never delete keys in this namespace, whatever the pattern; reported as skipped (repeatable, e.g. \'ratelimit:*\' \'arq:*\')' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l max-keys -d 'More keys than this is a broad deletion: refused without --yes off a terminal, confirmed by typing the count on one [default: the target\'s max_keys, or 10000]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l show -d 'Dry run: how many matched keys to list, or `all`' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l backup -d 'Before each batch is deleted, write its keys (DUMP and expiry) to this new file and flush it to disk; `cachectl restore FILE` puts them back' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l log -d 'Append one JSON line per key deleted (key, op, time, node, reason) to this file, `-` for stderr; flushed batch by batch' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l checkpoint -d 'Keep where each master\'s scan is in this file as the sweep goes; the same command run again with it continues from there (after Ctrl-C, SIGTERM, a crash or a fault). Removed when the sweep completes. One pattern only' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l count -d 'Fixed SCAN COUNT instead of sizing batches to --budget' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l budget -d 'Longest another client should wait behind our requests (sizes the batches)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l rate -d 'Act on at most N keys per second per master' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l retries -d 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l type -d 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -s y -l yes -d 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l dry-run -d 'Count and show what would be deleted; delete nothing'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l scan-replica -d 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand invalidate-pattern" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l preview -d 'Values shown per step in a dry run' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l only -d 'Run only this step (repeatable; a parent still reads rows for a selected child)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l skip -d 'Skip this step and its children (repeatable)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l concurrency -d 'Steps at once, and for_each children per parent (the plan\'s default otherwise)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l var -d 'Template variable as NAME=VALUE (below each row\'s own fields)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l check -d 'Validate the plan for CI: schema, sources reachable, templates use real columns'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l offline -d 'With --check: do not contact the sources'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l dry-run -d 'Read every source and show what would be written; write nothing'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l fail-fast -d 'Stop every step as soon as one fails'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand warm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l pattern -d 'Summarise the keys matching this glob by family instead (the default with no KEY: `*`)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l html -d 'Also write the report as one self-contained HTML page (opens offline in any browser)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l top -d 'Families shown, largest memory first; the rest are folded into one row' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l cold -d 'Also how keys are used: idle time per family (OBJECT IDLETIME, read before anything touches the key; access frequency under an LFU policy), and how many have been idle longer than DURATION' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l hot -d 'List the N hottest keys with their families: the least idle, or the most frequently used under an LFU policy' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l checkpoint -d 'Keep where each master\'s scan is, and the figures so far, in this file as the inspection goes; the same command run again with it continues from there and reports the whole keyspace. Removed when the inspection completes' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l rdb -d 'Read this dump (an RDB file, `-` for standard input) instead of a server: the same report, with no load on any server. Repeat it for a cluster\'s masters\' dumps: one report of them all' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l at -d 'With --rdb: TTLs as of this time (RFC 3339, e.g. 2026-11-26T09:00:00Z, or `now`) rather than when the dump was written' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l db -d 'With --rdb: only this database\'s keys [default: every database in the dump]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l group-by -d 'Group by inferred family (user_7_posts:page_2 with its like: numbers and ids become placeholders) or by first segment (user_7_posts)' -r -f -a "prefix\t''
family\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l family-depth -d 'Keep only the first N `:`-segments of a family (ratelimit:user:*)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l family -d 'Group keys matching this regex by its first capture group (or the whole match)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l sample -d 'Look at this share of keys only (0 < RATE <= 1) and scale the counts' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l count -d 'Fixed SCAN COUNT instead of sizing batches to --budget' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l budget -d 'Longest another client should wait behind our requests (sizes the batches)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l rate -d 'Act on at most N keys per second per master' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l retries -d 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l type -d 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l no-preview -d 'With KEYs: read no value, so that nothing touches the keys\' idle time even on a server without CLIENT NO-TOUCH (Redis before 7.2)'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l scan-replica -d 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l pattern -d 'The same as the PATTERN argument' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l html -d 'Also write the report as one self-contained HTML page (opens offline in any browser)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l policy -d 'Policy file (YAML): rules by glob or family with ttl min/max, require_ttl, max_cluster' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l window -d 'Keys expiring within this window count as one expiry cluster' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l fix-missing-ttl -d 'Give keys without TTL this TTL (plus up to 10% at random, so they do not all expire together), where their policy rule requires one (EXPIRE ... NX)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l spread -d 'Spread expiry clusters that break a rule\'s max_cluster: push each key\'s expiry later by up to PERCENT of its TTL (PEXPIRE ... GT, never shorter)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l max-keys -d 'More keys than this is a broad remediation: refused without --yes off a terminal, confirmed by typing the count on one [default: the target\'s max_keys, or 10000]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l charts -d 'Terminal charts: histogram and timeline bars (default: on a terminal)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l histogram-rows -d 'Rows of the TTL histogram chart at most (neighbouring buckets share a row); JSON always has every bucket' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l backup -d 'With --fix-missing-ttl/--spread: before each batch\'s TTLs change, write its keys to this new file (restore with `cachectl restore FILE --replace`)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l log -d 'With --fix-missing-ttl/--spread: append one JSON line per key changed to this file, `-` for stderr' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l checkpoint -d 'Keep where each master\'s scan is, and the figures so far, in this file as the audit goes; the same command run again with it continues from there and reports the whole keyspace. Removed when the audit completes (fixes are planned from the whole audit)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l rdb -d 'Read this dump (an RDB file, `-` for standard input) instead of a server: the same report, with no load on any server. Repeat it for a cluster\'s masters\' dumps: one report of them all' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l at -d 'With --rdb: TTLs as of this time (RFC 3339, e.g. 2026-11-26T09:00:00Z, or `now`) rather than when the dump was written' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l db -d 'With --rdb: only this database\'s keys [default: every database in the dump]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l group-by -d 'Group by inferred family (user_7_posts:page_2 with its like: numbers and ids become placeholders) or by first segment (user_7_posts)' -r -f -a "prefix\t''
family\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l family-depth -d 'Keep only the first N `:`-segments of a family (ratelimit:user:*)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l family -d 'Group keys matching this regex by its first capture group (or the whole match)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l sample -d 'Look at this share of keys only (0 < RATE <= 1) and scale the counts' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l count -d 'Fixed SCAN COUNT instead of sizing batches to --budget' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l budget -d 'Longest another client should wait behind our requests (sizes the batches)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l rate -d 'Act on at most N keys per second per master' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l retries -d 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l type -d 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l quick -d 'Stop after the server\'s own counts (INFO keyspace): no scan, so no policy check'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l dry-run -d 'With --fix-missing-ttl/--spread: count what would change; change nothing'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -s y -l yes -d 'With --fix-missing-ttl/--spread: skip the confirmation and the --max-keys guard'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l scan-replica -d 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand ttl-audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -s p -l pattern -d 'Keys to back up (a glob): the same as the first argument' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l count -d 'Fixed SCAN COUNT instead of sizing batches to --budget' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l budget -d 'Longest another client should wait behind our requests (sizes the batches)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l rate -d 'Act on at most N keys per second per master' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l retries -d 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l type -d 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)' -r -f -a "string\t''
list\t''
set\t''
zset\t''
hash\t''
stream\t''"
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l scan-replica -d 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning'
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -s p -l pattern -d 'Restore only the keys matching this glob' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l log -d 'Append one JSON line per key restored to this file, `-` for stderr' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l max-keys -d 'More keys than this to overwrite is broad: confirmed by typing the count [default: the target\'s max_keys, or 10000]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l replace -d 'Overwrite keys that exist again (default: leave them and count them). Confirmed like a broad deletion: counted first, refused off a terminal without --yes'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l dry-run -d 'Say what would be restored; write nothing'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -s y -l yes -d 'With --replace: skip the count and the confirmation'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -f -a "use" -d 'Make NAME the config file\'s default target (its `default:` line)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and not __fish_seen_subcommand_from use help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from help" -f -a "use" -d 'Make NAME the config file\'s default target (its `default:` line)'
complete -c cachectl -n "__fish_cachectl_using_subcommand targets; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l key -d 'Try the permissions near this key (an ACL may allow some keys only): the key itself is never touched; writes are tried with ACL DRYRUN or on a key of the doctor\'s own' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l interval -d 'How often to report' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l duration -d 'Stop after this long, and exit 0 [default: until Ctrl-C]' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l top -d 'Families shown per interval on a terminal (JSON has all)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l enable-events -d 'Where keyspace notifications are off, turn on the classes watch needs (CONFIG SET notify-keyspace-events) and put the old setting back on exit, Ctrl-C included'
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -s u -l url -d 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l target -d 'A named target from the config file (its settings are defaults that flags override)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l config -d 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l user -d 'ACL user name (overrides the URL\'s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l password-env -d 'Read the password from this environment variable (never from a flag value)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l sentinel-user -d 'ACL user of the sentinels, for redis+sentinel:// URLs' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l sentinel-password-env -d 'Read the sentinels\' password from this environment variable' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l tls-ca -d 'CA certificate (PEM) that signed the server\'s certificate, for rediss:// URLs' -r -F
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l timeout -d 'Connect and command timeout (e.g. 500ms, 5s)' -r
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -s o -l output -d 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]' -r -f -a "table\t''
json\t''
openmetrics\t'OpenMetrics text (inspect and ttl-audit), for node_exporter\'s textfile collector'"
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l tls-insecure -d 'Accept any TLS certificate and host name (testing only)'
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l cluster -d 'Treat the server as a Redis Cluster without asking it (normally detected)'
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -s v -l verbose -d 'Say more on stderr: target, topology, batch sizes'
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -l no-color -d 'No colours, even on a terminal (also honours $NO_COLOR)'
complete -c cachectl -n "__fish_cachectl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "get" -d 'Read keys: type, TTL and value (JSON pretty-printed on a terminal)'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "set" -d 'Write one key with a TTL, atomically (SET ... EX)'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "invalidate" -d 'Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "invalidate-pattern" -d 'Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "warm" -d 'Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become keys with TTLs'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "inspect" -d 'Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "ttl-audit" -d 'Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "backup" -d 'Back up the keys matching a pattern to a file, deleting nothing (DUMP and expiry, compressed; restore with `cachectl restore`)'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "restore" -d 'Put keys back from a backup file, each with the expiry it had'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "targets" -d 'List the named targets of the config file (no secrets), marking the default; `targets use NAME` makes NAME the default'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "doctor" -d 'Can cachectl run here? Target, topology, server, user, what each command may do, round trip, memory policy; exit 0 when all is well'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "watch" -d 'Live churn per key family (sets, deletions, expirations, evictions) from every master\'s keyspace notifications, with the hit ratio; one JSON line per interval with -o json'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "completions" -d 'Print shell completions'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and not __fish_seen_subcommand_from get set invalidate invalidate-pattern warm inspect ttl-audit backup restore targets doctor watch completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cachectl -n "__fish_cachectl_using_subcommand help; and __fish_seen_subcommand_from targets" -f -a "use" -d 'Make NAME the config file\'s default target (its `default:` line)'
