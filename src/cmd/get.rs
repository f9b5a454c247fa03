//! `cachectl get`: read keys.

use cachectl::ops::get::{self, Lookup};

use super::{Ctx, connect, exit};
use crate::cli::GetArgs;
use crate::render::say;

pub async fn run(args: GetArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let store = connect(ctx).await?;
    let limits = get::Limits {
        elements: args.limit,
        bytes: args.max_bytes,
        rev: args.rev,
    };
    let lookups = get::get(&store, &args.keys, limits).await?;
    // --raw through a pipe is for the bytes themselves: a value longer than --max-bytes is
    // streamed whole, a piece at a time, rather than held.
    if args.raw
        && !ctx.out.is_json()
        && lookups.len() == 1
        && let Lookup::Found(kv) = &lookups[0]
        && kv.truncated
        && kv.kind == "string"
    {
        let mut out = std::io::BufWriter::with_capacity(get::PIECE, std::io::stdout());
        get::stream_string(&store, &kv.key, &mut out).await?;
        std::io::Write::write_all(&mut out, b"\n")?;
        std::io::Write::flush(&mut out)?;
        return Ok(exit::OK);
    }
    if ctx.out.is_json() {
        let docs: Vec<serde_json::Value> = lookups.iter().map(lookup_json).collect();
        ctx.out.json_keys(&docs)?;
    } else {
        ctx.out.lookups(&lookups, args.raw)?;
    }
    let mut code = exit::OK;
    for l in &lookups {
        if let Lookup::Missing(key) = l {
            say(&format!(
                "error: {}",
                super::missing_key(key, "inspect --pattern")
            ));
            code = exit::FAILED;
        }
        if let Lookup::Found(kv) = l
            && kv.truncated
            && kv.kind == "string"
            && !ctx.out.is_json()
        {
            say(&format!(
                "note: `{}` holds {} bytes; the first {} are shown (--max-bytes, or --raw for all)",
                kv.key,
                kv.length,
                kv.value.elements()
            ));
        }
    }
    Ok(code)
}

fn lookup_json(l: &Lookup) -> serde_json::Value {
    match l {
        Lookup::Found(kv) => serde_json::to_value(kv).unwrap_or(serde_json::Value::Null),
        Lookup::Missing(key) => {
            serde_json::json!({ "key": key, "type": "none", "ttl_ms": null, "value": null })
        }
    }
}
