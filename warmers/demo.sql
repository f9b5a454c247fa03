-- The demo blog database behind warmers/demo.yaml. cachectl creates warmers/.demo.db from
-- this file on the plan's first run (delete the .db to start over).
CREATE TABLE countries (code TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL);
INSERT INTO countries VALUES
  ('FR', 'France', 'EUR'), ('DE', 'Germany', 'EUR'), ('ES', 'Spain', 'EUR'),
  ('IT', 'Italy', 'EUR'), ('GB', 'United Kingdom', 'GBP'), ('US', 'United States', 'USD'),
  ('JP', 'Japan', 'JPY'), ('BR', 'Brazil', 'BRL'), ('IN', 'India', 'INR'), ('CA', 'Canada', 'CAD');

CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL);
INSERT INTO categories VALUES
  (1, 'Engineering', 'engineering'), (2, 'Design', 'design'), (3, 'Product', 'product'),
  (4, 'Culture', 'culture'), (5, 'Announcements', 'announcements');

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  is_admin BOOLEAN NOT NULL DEFAULT 0,
  last_active_at TEXT NOT NULL
);
-- 50 users; every other one was active in the last day, relative to when the file is made.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO users (id, name, email, is_admin, last_active_at)
SELECT i, 'user ' || i, 'user' || i || '@example.com', i = 1,
       datetime('now', '-' || ((i % 2) * 36 + (i % 12)) || ' hours')
FROM n;

CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES users(id),
  category_id INTEGER NOT NULL REFERENCES categories(id),
  title TEXT NOT NULL,
  views INTEGER NOT NULL,
  tags JSON NOT NULL,
  created_at TEXT NOT NULL
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO posts (id, author_id, category_id, title, views, tags, created_at)
SELECT i, (i % 50) + 1, (i % 5) + 1, 'Post number ' || i, (i * 7919) % 10007,
       json_array('tag' || (i % 7), 'tag' || (i % 11)),
       datetime('2026-01-01', '+' || i || ' hours')
FROM n;
CREATE INDEX posts_by_author ON posts (author_id, created_at);
