-- Finding a person's concepts by the start of their name (GET /v1/concepts?name_prefix=), case
-- insensitively: the unique (user_id, name, type) index cannot serve `lower(name) like 'ab%'`.

create index if not exists concepts_user_lower_name_idx
  on public.concepts (user_id, lower(name) text_pattern_ops);
comment on index public.concepts_user_lower_name_idx is
  'Serves case-insensitive name-prefix search over one person''s concepts.';
