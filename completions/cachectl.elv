
use builtin;
use str;

set edit:completion:arg-completer[cachectl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cachectl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cachectl'= {
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand get 'Read keys: type, TTL and value (JSON pretty-printed on a terminal)'
            cand set 'Write one key with a TTL, atomically (SET ... EX)'
            cand invalidate 'Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates'
            cand invalidate-pattern 'Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)'
            cand warm 'Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become keys with TTLs'
            cand inspect 'Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)'
            cand ttl-audit 'Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cachectl;get'= {
            cand --limit 'Read at most this many elements of a collection'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --raw 'Print string values exactly as stored, even on a terminal'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;set'= {
            cand -f 'Read the value from a file; `-` reads standard input'
            cand --file 'Read the value from a file; `-` reads standard input'
            cand --ttl 'Time to live: seconds or a duration (3600, 30m, 1h, 1h30m)'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --persist 'Write without a TTL. Cache entries without TTL never leave: ask for it explicitly'
            cand --keep-ttl 'Keep the key''s current TTL (SET ... KEEPTTL)'
            cand --json 'Validate the value as JSON and store it compact'
            cand --nx 'Only write when the key does not exist'
            cand --xx 'Only write when the key exists'
            cand --dry-run 'Show what would be written; write nothing'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;invalidate'= {
            cand --prefix 'Key prefix of the cached resource (the decorator''s key_prefix): deletes PREFIX:ID'
            cand --id 'Resource id as NAME=VALUE (the decorator''s resource_id_name); NAME also becomes a variable'
            cand --extra 'Extra key as PREFIX=TEMPLATE, deleting PREFIX:TEMPLATE (the decorator''s to_invalidate_extra)'
            cand --var 'Template variable as NAME=VALUE'
            cand --pattern 'Glob template swept like invalidate-pattern, taken verbatim (no `*` appended); values from --var are glob-escaped'
            cand --exclude 'Leave keys matching this glob alone (repeatable)'
            cand --protect 'Never delete keys in this namespace, whatever the pattern; reported as skipped (repeatable, e.g. ''ratelimit:*'' ''arq:*'')'
            cand --max-keys 'More keys than this is a broad deletion: refused without --yes off a terminal, confirmed by typing the count on one'
            cand --show 'Dry run: how many matched keys to list, or `all`'
            cand --count 'Fixed SCAN COUNT instead of sizing batches to --budget'
            cand --budget 'Longest another client should wait behind our requests (sizes the batches)'
            cand --rate 'Act on at most N keys per second per master'
            cand --retries 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand -y 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion'
            cand --yes 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion'
            cand --dry-run 'Count and show what would be deleted; delete nothing'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;invalidate-pattern'= {
            cand --exclude 'Leave keys matching this glob alone (repeatable)'
            cand --protect 'Never delete keys in this namespace, whatever the pattern; reported as skipped (repeatable, e.g. ''ratelimit:*'' ''arq:*'')'
            cand --max-keys 'More keys than this is a broad deletion: refused without --yes off a terminal, confirmed by typing the count on one'
            cand --show 'Dry run: how many matched keys to list, or `all`'
            cand --count 'Fixed SCAN COUNT instead of sizing batches to --budget'
            cand --budget 'Longest another client should wait behind our requests (sizes the batches)'
            cand --rate 'Act on at most N keys per second per master'
            cand --retries 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand -y 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion'
            cand --yes 'Skip the safety guards and the confirmation prompt. Without it, everything is counted first: a person at a terminal confirms (typing the number of keys when the pattern matches every key or more than --max-keys); a script is refused such a deletion'
            cand --dry-run 'Count and show what would be deleted; delete nothing'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;warm'= {
            cand --preview 'Values shown per step in a dry run'
            cand --only 'Run only this step (repeatable; a parent still reads rows for a selected child)'
            cand --skip 'Skip this step and its children (repeatable)'
            cand --concurrency 'Steps at once, and for_each children per parent (the plan''s default otherwise)'
            cand --var 'Template variable as NAME=VALUE (below each row''s own fields)'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --check 'Validate the plan for CI: schema, sources reachable, templates use real columns'
            cand --offline 'With --check: do not contact the sources'
            cand --dry-run 'Read every source and show what would be written; write nothing'
            cand --fail-fast 'Stop every step as soon as one fails'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;inspect'= {
            cand --pattern 'Summarise the keys matching this glob by family instead (the default with no KEY: `*`)'
            cand --top 'Families shown, largest memory first; the rest are folded into one row'
            cand --group-by 'Group by inferred family (user_{⁠n}_posts:page_{⁠n}) or by first segment (user_7_posts)'
            cand --family-depth 'Keep only the first N `:`-segments of a family (ratelimit:user:*)'
            cand --family 'Group keys matching this regex by its first capture group (or the whole match)'
            cand --sample 'Look at this share of keys only (0 < RATE <= 1) and scale the counts'
            cand --count 'Fixed SCAN COUNT instead of sizing batches to --budget'
            cand --budget 'Longest another client should wait behind our requests (sizes the batches)'
            cand --rate 'Act on at most N keys per second per master'
            cand --retries 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --no-preview 'With KEYs: read no value, so that nothing touches the keys'' idle time even on a server without CLIENT NO-TOUCH (Redis before 7.2)'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;ttl-audit'= {
            cand --pattern 'Audit the keys matching this glob'
            cand --policy 'Policy file (YAML): rules by glob or family with ttl min/max, require_ttl, max_cluster'
            cand --window 'Keys expiring within this window count as one expiry cluster'
            cand --fix-missing-ttl 'Give keys without TTL this TTL (plus up to 10% at random, so they do not all expire together), where their policy rule requires one (EXPIRE ... NX)'
            cand --spread 'Spread expiry clusters that break a rule''s max_cluster: push each key''s expiry later by up to PERCENT of its TTL (PEXPIRE ... GT, never shorter)'
            cand --max-keys 'More keys than this is a broad remediation: refused without --yes off a terminal, confirmed by typing the count on one'
            cand --charts 'Terminal charts: histogram and timeline bars (default: on a terminal)'
            cand --histogram-rows 'Rows of the TTL histogram chart at most (neighbouring buckets share a row); JSON always has every bucket'
            cand --group-by 'Group by inferred family (user_{⁠n}_posts:page_{⁠n}) or by first segment (user_7_posts)'
            cand --family-depth 'Keep only the first N `:`-segments of a family (ratelimit:user:*)'
            cand --family 'Group keys matching this regex by its first capture group (or the whole match)'
            cand --sample 'Look at this share of keys only (0 < RATE <= 1) and scale the counts'
            cand --count 'Fixed SCAN COUNT instead of sizing batches to --budget'
            cand --budget 'Longest another client should wait behind our requests (sizes the batches)'
            cand --rate 'Act on at most N keys per second per master'
            cand --retries 'Retry a dropped connection, a timeout or a loading/failing-over server this many times in a row (with backoff, on a new connection) before giving up; each retry is said under --verbose'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --quick 'Stop after the server''s own counts (INFO keyspace): no scan, so no policy check'
            cand --dry-run 'With --fix-missing-ttl/--spread: count what would change; change nothing'
            cand -y 'With --fix-missing-ttl/--spread: skip the confirmation and the --max-keys guard'
            cand --yes 'With --fix-missing-ttl/--spread: skip the confirmation and the --max-keys guard'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cachectl;completions'= {
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cachectl;help'= {
            cand get 'Read keys: type, TTL and value (JSON pretty-printed on a terminal)'
            cand set 'Write one key with a TTL, atomically (SET ... EX)'
            cand invalidate 'Delete exact keys, including the prefix:id and extra keys an update endpoint invalidates'
            cand invalidate-pattern 'Delete every key matching a glob without blocking Redis (SCAN + UNLINK in bounded batches)'
            cand warm 'Run a YAML warm plan: rows from SQLite, PostgreSQL, MySQL or an HTTP JSON API become keys with TTLs'
            cand inspect 'Look at keys in depth, or summarise a keyspace by key family (count, memory, TTLs)'
            cand ttl-audit 'Find keys without TTL, TTLs outside policy, and expiry clusters; fix them safely'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cachectl;help;get'= {
        }
        &'cachectl;help;set'= {
        }
        &'cachectl;help;invalidate'= {
        }
        &'cachectl;help;invalidate-pattern'= {
        }
        &'cachectl;help;warm'= {
        }
        &'cachectl;help;inspect'= {
        }
        &'cachectl;help;ttl-audit'= {
        }
        &'cachectl;help;completions'= {
        }
        &'cachectl;help;help'= {
        }
    ]
    $completions[$command]
}
