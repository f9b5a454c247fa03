//! `cachectl get`: read keys.

use cachectl::ops::get::{self, Lookup};

use super::{Ctx, connect, exit};
use crate::cli::GetArgs;
use crate::render::say;

pub async fn run(args: GetArgs, ctx: &Ctx) -> anyhow::Result<u8> {
    let store = connect(ctx).await?;
    let lookups = get::get(&store, &args.keys, args.limit).await?;
    if ctx.out.is_json() {
        let docs: Vec<serde_json::Value> = lookups.iter().map(lookup_json).collect();
        ctx.out.json_one_or_many(&docs)?;
    } else {
        ctx.out.lookups(&lookups, args.raw)?;
    }
    let mut code = exit::OK;
    for l in &lookups {
        if let Lookup::Missing(key) = l {
            say(&format!("error: key `{key}` does not exist"));
            code = exit::FAILED;
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
