
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'cachectl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'cachectl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'cachectl' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Read keys: type, TTL and value (JSON pretty-printed on a terminal)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Write one key with a TTL, atomically (SET ... EX)')
            [CompletionResult]::new('invalidate', 'invalidate', [CompletionResultType]::ParameterValue, 'Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates')
            [CompletionResult]::new('invalidate-pattern', 'invalidate-pattern', [CompletionResultType]::ParameterValue, 'Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)')
            [CompletionResult]::new('warm', 'warm', [CompletionResultType]::ParameterValue, 'Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become keys with TTLs')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)')
            [CompletionResult]::new('ttl-audit', 'ttl-audit', [CompletionResultType]::ParameterValue, 'Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Back up the keys matching a pattern to a file, deleting nothing (DUMP and expiry, compressed; restore with `cachectl restore`)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put keys back from a backup file, each with the expiry it had')
            [CompletionResult]::new('targets', 'targets', [CompletionResultType]::ParameterValue, 'List the named targets of the config file (no secrets), marking the default; `targets use NAME` makes NAME the default')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Can cachectl run here? Target, topology, server, user, what each command may do, round trip, memory policy; exit 0 when all is well')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Live churn per key family (sets, deletions, expirations, evictions) from every master''s keyspace notifications, with the hit ratio; one JSON line per interval with -o json')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cachectl;get' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Read at most this many elements of a collection (sorted sets from the lowest score)')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Show at most this many bytes of a string value (with --raw the whole value is streamed)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print string values exactly as stored, even on a terminal')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'Sorted sets from the highest score down, as a leaderboard is read')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;set' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read the value from a file; `-` reads standard input')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read the value from a file; `-` reads standard input')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'Time to live: seconds or a duration (3600, 30m, 1h, 1h30m)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--persist', '--persist', [CompletionResultType]::ParameterName, 'Write without a TTL. Cache entries without TTL never leave: ask for it explicitly')
            [CompletionResult]::new('--keep-ttl', '--keep-ttl', [CompletionResultType]::ParameterName, 'Keep the key''s current TTL (SET ... KEEPTTL)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Validate the value as JSON and store it compact')
            [CompletionResult]::new('--nx', '--nx', [CompletionResultType]::ParameterName, 'Only write when the key does not exist')
            [CompletionResult]::new('--xx', '--xx', [CompletionResultType]::ParameterName, 'Only write when the key exists')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be written; write nothing')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;invalidate' {
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'Key prefix of the cached resource (the decorator''s key_prefix): deletes PREFIX:ID')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Resource id as NAME=VALUE (the decorator''s resource_id_name); NAME also becomes a variable')
            [CompletionResult]::new('--extra', '--extra', [CompletionResultType]::ParameterName, 'Extra key as PREFIX=TEMPLATE, deleting PREFIX:TEMPLATE (the decorator''s to_invalidate_extra)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Template variable as NAME=VALUE')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'Glob template swept like invalidate-pattern, taken verbatim (no `*` appended); values from --var are glob-escaped')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave keys matching this glob alone (repeatable)')
            [CompletionResult]::new('--protect', '--protect', [CompletionResultType]::ParameterName, 'Never delete keys in this namespace, whatever the pattern; reported as skipped (repeatable, e.g. ''ratelimit:*'' ''arq:*'')')
            [CompletionResult]::new('--max-keys', '--max-keys', [CompletionResultType]::ParameterName, 'More keys than this is a broad deletion: refused without --yes off a terminal, confirmed by typing the count on one [default: the target''s max_keys, or 10000]')
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Dry run: how many matched keys to list, or `all`')
            [CompletionResult]::new('--backup', '--backup', [CompletionResultType]::ParameterName, 'Before each batch is deleted, write its keys (DUMP and expiry) to this new file and flush it to disk; `cachectl restore FILE` puts them back')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append one JSON line per key deleted (key, op, time, node, reason) to this file, `-` for stderr; flushed batch by batch')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'Keep where each master''s scan is in this file as the sweep goes; the same command run again with it continues from there (after Ctrl-C, SIGTERM, a crash or a fault). Removed when the sweep completes. One pattern only')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Fixed SCAN COUNT instead of sizing batches to --budget')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Longest another client should wait behind our requests (sizes the batches)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Act on at most N keys per second per master')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count and show what would be deleted; delete nothing')
            [CompletionResult]::new('--scan-replica', '--scan-replica', [CompletionResultType]::ParameterName, 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;invalidate-pattern' {
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave keys matching this glob alone (repeatable)')
            [CompletionResult]::new('--protect', '--protect', [CompletionResultType]::ParameterName, 'Never delete keys in this namespace, whatever the pattern; reported as skipped (repeatable, e.g. ''ratelimit:*'' ''arq:*'')')
            [CompletionResult]::new('--max-keys', '--max-keys', [CompletionResultType]::ParameterName, 'More keys than this is a broad deletion: refused without --yes off a terminal, confirmed by typing the count on one [default: the target''s max_keys, or 10000]')
            [CompletionResult]::new('--show', '--show', [CompletionResultType]::ParameterName, 'Dry run: how many matched keys to list, or `all`')
            [CompletionResult]::new('--backup', '--backup', [CompletionResultType]::ParameterName, 'Before each batch is deleted, write its keys (DUMP and expiry) to this new file and flush it to disk; `cachectl restore FILE` puts them back')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append one JSON line per key deleted (key, op, time, node, reason) to this file, `-` for stderr; flushed batch by batch')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'Keep where each master''s scan is in this file as the sweep goes; the same command run again with it continues from there (after Ctrl-C, SIGTERM, a crash or a fault). Removed when the sweep completes. One pattern only')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Fixed SCAN COUNT instead of sizing batches to --budget')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Longest another client should wait behind our requests (sizes the batches)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Act on at most N keys per second per master')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count and show what would be deleted; delete nothing')
            [CompletionResult]::new('--scan-replica', '--scan-replica', [CompletionResultType]::ParameterName, 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;warm' {
            [CompletionResult]::new('--preview', '--preview', [CompletionResultType]::ParameterName, 'Values shown per step in a dry run')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only this step (repeatable; a parent still reads rows for a selected child)')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Skip this step and its children (repeatable)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Steps at once, and for_each children per parent (the plan''s default otherwise)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Template variable as NAME=VALUE (below each row''s own fields)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Validate the plan for CI: schema, sources reachable, templates use real columns')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'With --check: do not contact the sources')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Read every source and show what would be written; write nothing')
            [CompletionResult]::new('--fail-fast', '--fail-fast', [CompletionResultType]::ParameterName, 'Stop every step as soon as one fails')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;inspect' {
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'Summarise the keys matching this glob by family instead (the default with no KEY: `*`)')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Also write the report as one self-contained HTML page (opens offline in any browser)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Families shown, largest memory first; the rest are folded into one row')
            [CompletionResult]::new('--cold', '--cold', [CompletionResultType]::ParameterName, 'Also how keys are used: idle time per family (OBJECT IDLETIME, read before anything touches the key; access frequency under an LFU policy), and how many have been idle longer than DURATION')
            [CompletionResult]::new('--hot', '--hot', [CompletionResultType]::ParameterName, 'List the N hottest keys with their families: the least idle, or the most frequently used under an LFU policy')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'Keep where each master''s scan is, and the figures so far, in this file as the inspection goes; the same command run again with it continues from there and reports the whole keyspace. Removed when the inspection completes')
            [CompletionResult]::new('--rdb', '--rdb', [CompletionResultType]::ParameterName, 'Read this dump (an RDB file, `-` for standard input) instead of a server: the same report, with no load on any server. Repeat it for a cluster''s masters'' dumps: one report of them all')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'With --rdb: TTLs as of this time (RFC 3339, e.g. 2026-11-26T09:00:00Z, or `now`) rather than when the dump was written')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'With --rdb: only this database''s keys [default: every database in the dump]')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Group by inferred family (user_7_posts:page_2 with its like: numbers and ids become placeholders) or by first segment (user_7_posts)')
            [CompletionResult]::new('--family-depth', '--family-depth', [CompletionResultType]::ParameterName, 'Keep only the first N `:`-segments of a family (ratelimit:user:*)')
            [CompletionResult]::new('--family', '--family', [CompletionResultType]::ParameterName, 'Group keys matching this regex by its first capture group (or the whole match)')
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Look at this share of keys only (0 < RATE <= 1) and scale the counts')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Fixed SCAN COUNT instead of sizing batches to --budget')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Longest another client should wait behind our requests (sizes the batches)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Act on at most N keys per second per master')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--no-preview', '--no-preview', [CompletionResultType]::ParameterName, 'With KEYs: read no value, so that nothing touches the keys'' idle time even on a server without CLIENT NO-TOUCH (Redis before 7.2)')
            [CompletionResult]::new('--scan-replica', '--scan-replica', [CompletionResultType]::ParameterName, 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;ttl-audit' {
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'The same as the PATTERN argument')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'Also write the report as one self-contained HTML page (opens offline in any browser)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Policy file (YAML): rules by glob or family with ttl min/max, require_ttl, max_cluster')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'Keys expiring within this window count as one expiry cluster')
            [CompletionResult]::new('--fix-missing-ttl', '--fix-missing-ttl', [CompletionResultType]::ParameterName, 'Give keys without TTL this TTL (plus up to 10% at random, so they do not all expire together), where their policy rule requires one (EXPIRE ... NX)')
            [CompletionResult]::new('--spread', '--spread', [CompletionResultType]::ParameterName, 'Spread expiry clusters that break a rule''s max_cluster: push each key''s expiry later by up to PERCENT of its TTL (PEXPIRE ... GT, never shorter)')
            [CompletionResult]::new('--max-keys', '--max-keys', [CompletionResultType]::ParameterName, 'More keys than this is a broad remediation: refused without --yes off a terminal, confirmed by typing the count on one [default: the target''s max_keys, or 10000]')
            [CompletionResult]::new('--charts', '--charts', [CompletionResultType]::ParameterName, 'Terminal charts: histogram and timeline bars (default: on a terminal)')
            [CompletionResult]::new('--histogram-rows', '--histogram-rows', [CompletionResultType]::ParameterName, 'Rows of the TTL histogram chart at most (neighbouring buckets share a row); JSON always has every bucket')
            [CompletionResult]::new('--backup', '--backup', [CompletionResultType]::ParameterName, 'With --fix-missing-ttl/--spread: before each batch''s TTLs change, write its keys to this new file (restore with `cachectl restore FILE --replace`)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'With --fix-missing-ttl/--spread: append one JSON line per key changed to this file, `-` for stderr')
            [CompletionResult]::new('--checkpoint', '--checkpoint', [CompletionResultType]::ParameterName, 'Keep where each master''s scan is, and the figures so far, in this file as the audit goes; the same command run again with it continues from there and reports the whole keyspace. Removed when the audit completes (fixes are planned from the whole audit)')
            [CompletionResult]::new('--rdb', '--rdb', [CompletionResultType]::ParameterName, 'Read this dump (an RDB file, `-` for standard input) instead of a server: the same report, with no load on any server. Repeat it for a cluster''s masters'' dumps: one report of them all')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'With --rdb: TTLs as of this time (RFC 3339, e.g. 2026-11-26T09:00:00Z, or `now`) rather than when the dump was written')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'With --rdb: only this database''s keys [default: every database in the dump]')
            [CompletionResult]::new('--group-by', '--group-by', [CompletionResultType]::ParameterName, 'Group by inferred family (user_7_posts:page_2 with its like: numbers and ids become placeholders) or by first segment (user_7_posts)')
            [CompletionResult]::new('--family-depth', '--family-depth', [CompletionResultType]::ParameterName, 'Keep only the first N `:`-segments of a family (ratelimit:user:*)')
            [CompletionResult]::new('--family', '--family', [CompletionResultType]::ParameterName, 'Group keys matching this regex by its first capture group (or the whole match)')
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Look at this share of keys only (0 < RATE <= 1) and scale the counts')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Fixed SCAN COUNT instead of sizing batches to --budget')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Longest another client should wait behind our requests (sizes the batches)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Act on at most N keys per second per master')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--quick', '--quick', [CompletionResultType]::ParameterName, 'Stop after the server''s own counts (INFO keyspace): no scan, so no policy check')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'With --fix-missing-ttl/--spread: count what would change; change nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'With --fix-missing-ttl/--spread: skip the confirmation and the --max-keys guard')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --fix-missing-ttl/--spread: skip the confirmation and the --max-keys guard')
            [CompletionResult]::new('--scan-replica', '--scan-replica', [CompletionResultType]::ParameterName, 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;backup' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Keys to back up (a glob): the same as the first argument')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'Keys to back up (a glob): the same as the first argument')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Fixed SCAN COUNT instead of sizing batches to --budget')
            [CompletionResult]::new('--budget', '--budget', [CompletionResultType]::ParameterName, 'Longest another client should wait behind our requests (sizes the batches)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Act on at most N keys per second per master')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only keys of this type, filtered by the server (`SCAN … TYPE`, Redis 6.0 and Valkey)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--scan-replica', '--scan-replica', [CompletionResultType]::ParameterName, 'SCAN a replica of each master (the one furthest along, once it has caught up with what the master held at the start) and send only the commands for the keys found to the master, which then serves none of the scanning')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;restore' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Restore only the keys matching this glob')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'Restore only the keys matching this glob')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append one JSON line per key restored to this file, `-` for stderr')
            [CompletionResult]::new('--max-keys', '--max-keys', [CompletionResultType]::ParameterName, 'More keys than this to overwrite is broad: confirmed by typing the count [default: the target''s max_keys, or 10000]')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Overwrite keys that exist again (default: leave them and count them). Confirmed like a broad deletion: counted first, refused off a terminal without --yes')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be restored; write nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'With --replace: skip the count and the confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'With --replace: skip the count and the confirmation')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;targets' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make NAME the config file''s default target (its `default:` line)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cachectl;targets;use' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;targets;help' {
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make NAME the config file''s default target (its `default:` line)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cachectl;targets;help;use' {
            break
        }
        'cachectl;targets;help;help' {
            break
        }
        'cachectl;doctor' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Try the permissions near this key (an ACL may allow some keys only): the key itself is never touched; writes are tried with ACL DRYRUN or on a key of the doctor''s own')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;watch' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often to report')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after this long, and exit 0 [default: until Ctrl-C]')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Families shown per interval on a terminal (JSON has all)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--enable-events', '--enable-events', [CompletionResultType]::ParameterName, 'Where keyspace notifications are off, turn on the classes watch needs (CONFIG SET notify-keyspace-events) and put the old setting back on exit, Ctrl-C included')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;completions' {
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Redis URL: redis://[user[:password]@]host[:port][/db] (or just host:port), rediss:// for TLS, or redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER_NAME[/db]. Falls back to $REDIS_URL, then redis://127.0.0.1:6379')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'A named target from the config file (its settings are defaults that flags override)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The config file of named targets (default: $XDG_CONFIG_HOME/cachectl/config.yaml)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'ACL user name (overrides the URL''s)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the password from this environment variable (never from a flag value)')
            [CompletionResult]::new('--sentinel-user', '--sentinel-user', [CompletionResultType]::ParameterName, 'ACL user of the sentinels, for redis+sentinel:// URLs')
            [CompletionResult]::new('--sentinel-password-env', '--sentinel-password-env', [CompletionResultType]::ParameterName, 'Read the sentinels'' password from this environment variable')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Connect and command timeout (e.g. 500ms, 5s)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table for people (boxed on a terminal, plain aligned columns through a pipe; `-o table` boxes it anyway), one JSON document for scripts [default: table]')
            [CompletionResult]::new('--tls-insecure', '--tls-insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate and host name (testing only)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'Treat the server as a Redis Cluster without asking it (normally detected)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more on stderr: target, topology, batch sizes')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours, even on a terminal (also honours $NO_COLOR)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cachectl;help' {
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Read keys: type, TTL and value (JSON pretty-printed on a terminal)')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Write one key with a TTL, atomically (SET ... EX)')
            [CompletionResult]::new('invalidate', 'invalidate', [CompletionResultType]::ParameterValue, 'Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates')
            [CompletionResult]::new('invalidate-pattern', 'invalidate-pattern', [CompletionResultType]::ParameterValue, 'Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)')
            [CompletionResult]::new('warm', 'warm', [CompletionResultType]::ParameterValue, 'Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become keys with TTLs')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)')
            [CompletionResult]::new('ttl-audit', 'ttl-audit', [CompletionResultType]::ParameterValue, 'Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Back up the keys matching a pattern to a file, deleting nothing (DUMP and expiry, compressed; restore with `cachectl restore`)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put keys back from a backup file, each with the expiry it had')
            [CompletionResult]::new('targets', 'targets', [CompletionResultType]::ParameterValue, 'List the named targets of the config file (no secrets), marking the default; `targets use NAME` makes NAME the default')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Can cachectl run here? Target, topology, server, user, what each command may do, round trip, memory policy; exit 0 when all is well')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Live churn per key family (sets, deletions, expirations, evictions) from every master''s keyspace notifications, with the hit ratio; one JSON line per interval with -o json')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cachectl;help;get' {
            break
        }
        'cachectl;help;set' {
            break
        }
        'cachectl;help;invalidate' {
            break
        }
        'cachectl;help;invalidate-pattern' {
            break
        }
        'cachectl;help;warm' {
            break
        }
        'cachectl;help;inspect' {
            break
        }
        'cachectl;help;ttl-audit' {
            break
        }
        'cachectl;help;backup' {
            break
        }
        'cachectl;help;restore' {
            break
        }
        'cachectl;help;targets' {
            [CompletionResult]::new('use', 'use', [CompletionResultType]::ParameterValue, 'Make NAME the config file''s default target (its `default:` line)')
            break
        }
        'cachectl;help;targets;use' {
            break
        }
        'cachectl;help;doctor' {
            break
        }
        'cachectl;help;watch' {
            break
        }
        'cachectl;help;completions' {
            break
        }
        'cachectl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
