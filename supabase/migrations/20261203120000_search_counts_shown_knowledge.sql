-- GET /v1/search counts an access for the knowledge it shows, not for every entry it weighed.
--
-- api.search_candidates ran the app knowledge through api.search_knowledge, which counts an
-- access to each entry it returns: every knowledge candidate a search weighed was counted, also
-- the ones ranked off the page. And because it wrote, the statement had to wait for the request's
-- rate-limit verdict before it could commit (dotline.admission): one more round trip, and at 10k
-- memories up to 5 ms more at p95, on every search, knowledge or not.
--
-- Now api.search_candidates only reads (stable; the service sends it read-only), through
-- private.knowledge_matches, the query api.search_knowledge runs; and the service counts the
-- knowledge hits of the page it returns with api.record_search_knowledge_access, which counts only
-- entries of the caller's apps. api.search_knowledge (the knowledge route, the chat context)
-- counts what it returns, as before.

-- The apps whose knowledge a person's search reaches: those they have progress or a conversation in.
create or replace function private.apps_of(person uuid)
returns setof uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query
  select p.app_id from public.user_progress p where p.user_id = person
  union
  select c.app_id from public.conversations c where c.user_id = person and c.app_id is not null;
end;
$$;
comment on function private.apps_of(uuid) is
  'The apps a person has progress or a conversation in: whose knowledge their search reaches. Security invoker.';
revoke all on function private.apps_of(uuid) from public, anon;
grant execute on function private.apps_of(uuid) to authenticated, service_role;

-- api.search_knowledge's query, counting nothing.
create or replace function private.knowledge_matches(query text, app text, max_results integer default 5)
returns table (
  knowledge_entry_id uuid,
  knowledge_base_id uuid,
  knowledge_base_slug text,
  title text,
  content text,
  category text,
  tags text[],
  relevance real
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  tsq tsquery := websearch_to_tsquery('english'::regconfig, coalesce(query, ''));
begin
  if numnode(tsq) = 0 or max_results is null or max_results < 1 then
    return;  -- empty or stop-word-only query: nothing to rank
  end if;
  return query
  select ke.knowledge_entry_id, ke.knowledge_base_id, kb.slug, ke.title, ke.content, ke.category, ke.tags,
         ts_rank(ke.search_vector, tsq)
  from public.apps a
  join public.app_knowledge_bases akb on akb.app_id = a.app_id
  join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
  join public.knowledge_entries ke on ke.knowledge_base_id = kb.knowledge_base_id
  where (a.slug = app or a.app_id::text = lower(app))
    and a.is_active
    and ke.search_vector @@ tsq
  order by 8 desc, ke.title, ke.knowledge_entry_id
  limit least(max_results, 100);
end;
$$;
comment on function private.knowledge_matches(text, text, integer) is
  'api.search_knowledge without the access counting: full-text matches (websearch syntax, ts_rank) over an app''s active knowledge bases, best first, at most 100. Security invoker.';
revoke all on function private.knowledge_matches(text, text, integer) from public, anon;
grant execute on function private.knowledge_matches(text, text, integer) to authenticated, service_role;

create or replace function api.search_knowledge(query text, app text, max_results integer default 5)
returns table (
  knowledge_entry_id uuid,
  knowledge_base_id uuid,
  knowledge_base_slug text,
  title text,
  content text,
  category text,
  tags text[],
  relevance real
)
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  found_ids uuid[] := '{}';
  hit record;
begin
  for hit in select * from private.knowledge_matches(query, app, max_results) loop
    knowledge_entry_id := hit.knowledge_entry_id;
    knowledge_base_id := hit.knowledge_base_id;
    knowledge_base_slug := hit.knowledge_base_slug;
    title := hit.title;
    content := hit.content;
    category := hit.category;
    tags := hit.tags;
    relevance := hit.relevance;
    found_ids := found_ids || hit.knowledge_entry_id;
    return next;
  end loop;
  if cardinality(found_ids) > 0 then
    perform private.record_knowledge_access(found_ids);
  end if;
end;
$$;
comment on function api.search_knowledge(text, text, integer) is
  'Full-text search (websearch syntax, ts_rank: title > content > tags) over an app''s active knowledge bases (private.knowledge_matches); counts each hit''s access. app is the slug or the app_id; at most 100 results.';

-- The knowledge a search showed: counted once each, if it is of the caller's apps.
create or replace function api.record_search_knowledge_access(entry_ids uuid[])
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  reachable uuid[];
begin
  if auth.uid() is null or coalesce(cardinality(entry_ids), 0) = 0 then
    return 0;
  end if;
  select array_agg(distinct ke.knowledge_entry_id) into reachable
  from private.apps_of(auth.uid()) as mine (app_id)
  join public.apps a on a.app_id = mine.app_id and a.is_active
  join public.app_knowledge_bases akb on akb.app_id = a.app_id
  join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
  join public.knowledge_entries ke on ke.knowledge_base_id = kb.knowledge_base_id
  where ke.knowledge_entry_id = any (entry_ids);
  if reachable is null then
    return 0;
  end if;
  perform private.record_knowledge_access(reachable);
  return cardinality(reachable);
end;
$$;
comment on function api.record_search_knowledge_access(uuid[]) is
  'Counts one access to each given knowledge entry a search showed, only those of the caller''s apps (private.apps_of); returns how many were counted. Security invoker.';
revoke all on function api.record_search_knowledge_access(uuid[]) from public, anon;
grant execute on function api.record_search_knowledge_access(uuid[]) to authenticated, service_role;

create or replace function api.search_candidates(
  query text,
  entity_ids uuid[] default '{}',
  entity_types text[] default null,
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null,
  max_text_hits integer default 50
)
returns table (
  entity_type text,
  entity_id uuid,
  title text,
  body text,
  app_id uuid,
  importance double precision,
  created_at timestamptz,
  updated_at timestamptz,
  text_rank real,
  text_strength real,
  matched_terms text[],
  superseded_by uuid,
  invalid_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := auth.uid();
  wanted text[] := coalesce(entity_types, array['memory', 'concept', 'artifact', 'knowledge']);
  cap integer := least(greatest(coalesce(max_text_hits, 0), 0), 200);
  ids uuid[] := coalesce(entity_ids, '{}');
  terms record;
  any_word text := '';
begin
  if me is null then
    return;  -- nobody signed in: nothing is theirs
  end if;
  terms := private.search_terms(query);
  if cap > 0 then
    any_word := array_to_string(array(select x from unnest(terms.words) as x where x <> 'or'), ' or ');
  end if;

  return query
  with text_hits as (
    select h.entity_type, h.entity_id, h.text_rank, h.text_strength, h.matched_terms
    from private.search_text_hits(query, wanted, app, created_after, created_before, cap) as h
  ),
  wanted_ids as (
    select array(select h.entity_id from text_hits h union select unnest(ids)) as all_ids
  ),
  rows as (
    select r.entity_type as kind, r.entity_id as id, r.title, r.body, r.app_id, r.importance,
           r.created_at, r.updated_at, r.superseded_by, r.invalid_at
    from wanted_ids w
    cross join lateral api.search_rows(w.all_ids, wanted, app, created_after, created_before) as r
  ),
  apps as (
    select a.app_id from private.apps_of(me) as a (app_id) where app is null or a.app_id = app
  ),
  knowledge as (
    select distinct on (k.knowledge_entry_id)
           k.knowledge_entry_id, k.title, k.content, a.app_id, k.relevance, e.created_at, e.updated_at,
           e.search_vector
    from apps a
    cross join lateral private.knowledge_matches(any_word, a.app_id::text, cap) as k
    join public.knowledge_entries e on e.knowledge_entry_id = k.knowledge_entry_id
    where 'knowledge' = any (wanted) and any_word <> ''
      and (created_after is null or e.created_at > created_after)
      and (created_before is null or e.created_at < created_before)
    order by k.knowledge_entry_id, k.relevance desc
  )
  select r.kind, r.id, r.title, r.body, r.app_id, r.importance, r.created_at, r.updated_at,
         h.text_rank, h.text_strength, h.matched_terms, r.superseded_by, r.invalid_at
  from rows r
  left join text_hits h on h.entity_type = r.kind and h.entity_id = r.id
  union all
  -- Knowledge is not the caller's to count words in: its strength is the share of query words
  -- it contains.
  select 'knowledge', k.knowledge_entry_id, k.title, left(k.content, 2000), k.app_id, null,
         k.created_at, k.updated_at, k.relevance,
         (cardinality(m.words)::real / greatest(cardinality(terms.words), 1))::real, m.words,
         null, null
  from knowledge k
  cross join lateral (
    select array(select q.word from unnest(terms.words, terms.lexemes) as q (word, lexeme)
                 where q.lexeme = any (tsvector_to_array(k.search_vector))) as words
  ) as m;
end;
$$;
comment on function api.search_candidates(text, uuid[], text[], uuid, timestamptz, timestamptz, integer) is
  'GET /v1/search''s Postgres half, read-only: full-text candidates (private.search_text_hits), the caller''s app knowledge (private.knowledge_matches; the service counts the shown hits with api.record_search_knowledge_access), and the live rows behind entity_ids found by the vector index or the graph (api.search_rows); all filtered by types, app and created range; a memory a newer one replaced carries superseded_by and invalid_at (20261202110100). Security invoker.';
