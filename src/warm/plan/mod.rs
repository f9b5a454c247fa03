//! Warm plans: the YAML contract users write against, parsed and checked before anything runs.
//!
//! Every mistake is reported as `file:line:column: field: what is wrong`: syntax and schema
//! errors by the YAML parser, the rest (unknown source, bad template, unset variable) from
//! the spans kept on the fields that can be wrong.

mod lower;
mod model;
mod schema;

pub use model::*;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const PLAN: &str = r#"
defaults:
  ttl: 1h
  jitter: 10%
sources:
  db:
    url: ${DB_URL:-sqlite://demo.db}
  api:
    http:
      base_url: http://127.0.0.1:9/api/
      headers:
        Authorization: Bearer ${TOKEN}
steps:
  - name: users
    source: db
    query: SELECT id, name FROM users
    key: "user_profile:{id}"
    for_each:
      - name: posts
        query: SELECT * FROM posts WHERE author_id = $1
        params: ["{id}", "u-{id}", 5]
        key: "user_{id}_posts:page_1"
        value: collect
        ttl: 30m
  - name: trending
    source: api
    request:
      path: /trending
      items: /data
      paginate: { page: { param: page } }
    key: trending_topics
    value: collect
    ttl: 600
"#;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "t0k".to_string())
    }

    #[test]
    fn parses_the_full_shape() {
        let p = WarmPlan::parse(PLAN, Path::new("w/plan.yaml"), &env).unwrap();
        assert_eq!(p.step_names(), vec!["users", "posts", "trending"]);
        let Source::Sql(db) = &p.sources["db"] else {
            panic!()
        };
        assert_eq!(db.url, "sqlite://demo.db");
        let Source::Http(api) = &p.sources["api"] else {
            panic!()
        };
        assert_eq!(api.base_url, "http://127.0.0.1:9/api");
        assert_eq!(
            api.headers,
            vec![("Authorization".to_string(), "Bearer t0k".to_string())]
        );
        let users = &p.steps[0];
        assert_eq!(users.ttl, 3600);
        assert!((users.jitter - 0.1).abs() < 1e-9);
        let posts = &users.children[0];
        assert_eq!(posts.source, "db", "children inherit the source");
        assert_eq!(posts.ttl, 1800);
        let Fetch::Sql { params, .. } = &posts.fetch else {
            panic!()
        };
        assert!(matches!(&params[0], Param::Field(f) if f == "id"));
        assert!(matches!(&params[1], Param::Text(_)));
        assert!(matches!(&params[2], Param::Literal(v) if v == 5));
    }

    fn err(text: &str) -> String {
        WarmPlan::parse(text, Path::new("plan.yaml"), &env)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let e = err(&PLAN.replace("source: api", "source: apj"));
        assert!(e.starts_with("plan.yaml:26:13:"), "{e}");
        assert!(e.contains("steps[1].source: no source named `apj`"), "{e}");
        let e = err(&PLAN.replace("${TOKEN}", "${NOPE}"));
        assert!(e.contains("sources.api.http.headers.Authorization"), "{e}");
        assert!(e.contains("NOPE is not set"), "{e}");
        let e = err(&PLAN.replace("key: trending_topics", "key: \"trending_{\""));
        assert!(e.contains("steps[1].key"), "{e}");
        let e = err(&PLAN.replace("ttl: 600", "ttl: soon"));
        assert!(e.contains("steps[1].ttl"), "{e}");
        let e = err(&PLAN.replace(
            "value: collect\n    ttl: 600",
            "value: collected\n    ttl: 600",
        ));
        assert!(e.contains("`collected`"), "{e}");
        let e = err(&PLAN.replace("    query: SELECT id", "    qurey: SELECT id"));
        assert!(e.starts_with("plan.yaml:"), "{e}");
        assert!(e.contains("qurey"), "{e}");
        let e = err(&PLAN.replace(
            "  ttl: 1h
",
            "",
        ));
        assert!(e.contains("steps[0].ttl: no ttl"), "{e}");
    }
}
