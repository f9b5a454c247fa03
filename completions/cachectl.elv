
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
            cand --max-keys 'Refuse (without --yes) a pattern matching more keys than this'
            cand --count 'Fixed SCAN COUNT instead of sizing batches to --budget'
            cand --budget 'Longest the server may spend on one of our round trips (sizes the batches)'
            cand --rate 'Delete at most N keys per second per master'
            cand --show 'Dry run: how many matched keys to list, or `all`'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand -y 'Skip the safety guards and the confirmation prompt'
            cand --yes 'Skip the safety guards and the confirmation prompt'
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
            cand --max-keys 'Refuse (without --yes) a pattern matching more keys than this'
            cand --count 'Fixed SCAN COUNT instead of sizing batches to --budget'
            cand --budget 'Longest the server may spend on one of our round trips (sizes the batches)'
            cand --rate 'Delete at most N keys per second per master'
            cand --show 'Dry run: how many matched keys to list, or `all`'
            cand --url 'Redis URL: redis://[user[:password]@]host[:port][/db] or rediss:// for TLS. Falls back to $REDIS_URL, then redis://127.0.0.1:6379'
            cand --user 'ACL user name (overrides the URL''s)'
            cand --password-env 'Read the password from this environment variable (never from a flag value)'
            cand --tls-ca 'CA certificate (PEM) that signed the server''s certificate, for rediss:// URLs'
            cand --timeout 'Connect and command timeout (e.g. 500ms, 5s)'
            cand -o 'Output format: a table for people, one JSON document for scripts'
            cand --output 'Output format: a table for people, one JSON document for scripts'
            cand -y 'Skip the safety guards and the confirmation prompt'
            cand --yes 'Skip the safety guards and the confirmation prompt'
            cand --dry-run 'Count and show what would be deleted; delete nothing'
            cand --tls-insecure 'Accept any TLS certificate and host name (testing only)'
            cand --cluster 'Treat the server as a Redis Cluster without asking it (normally detected)'
            cand -v 'Say more on stderr: target, topology, batch sizes'
            cand --verbose 'Say more on stderr: target, topology, batch sizes'
            cand --no-color 'No colours, even on a terminal (also honours $NO_COLOR)'
            cand -h 'Print help'
            cand --help 'Print help'
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
        &'cachectl;help;completions'= {
        }
        &'cachectl;help;help'= {
        }
    ]
    $completions[$command]
}
