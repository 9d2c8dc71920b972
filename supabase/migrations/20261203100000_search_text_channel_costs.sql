-- The full-text channel's cost at 10k documents (issue 5: search p95 within 20 ms at 10k
-- memories). Two changes to private.search_text_hits; otherwise it is as 20261202130100 and
-- 20261202130300 made it.
--
-- 1. A kept count of each person's documents. The idf of every word and the 5% cut-off for
--    common ones need the number of the caller's documents on every query; counting them was an
--    index-only scan over all of them, about 1 ms at 10k. Statement-level triggers with
--    transition tables keep the count instead, and the query reads one row. An insert locks the
--    person's count row until its transaction ends, so two transactions adding documents for the
--    same person take turns at that row; several people's rows are taken in user_id order, so
--    two writers cannot deadlock on them. A person's count row goes with them (the auth.users
--    cascade). Measured: inserting 5,000 memories in one statement took 10 to 20% longer (each
--    memory's document is its own statement, so its own count update); a conversation's
--    ingestion writes tens. The btree of 20261202130200, which served the count, stays: the
--    auth.users cascade and the retention purge find a person's documents through it.
--
-- 2. A query whose words are all common (each in over 5% of the caller's documents: "the day in
--    the park") matched any of them and ranked every match: thousands of documents at 10k, each
--    vector read for ts_rank_cd, 5 to 15 ms. Such a query now matches the documents that have
--    all of its common words (any of them only when none has all), and ranks the newest
--    4 x max_hits of those. A common word carries little: such hits are weak (their strength is
--    the words' low idf); the vector channel and recency do the ranking. bench_retrieval.py
--    measured the same recall (hybrid 0.597 / 0.664 at 5 / 10, against 0.594 / 0.664 before).
--    Queries with a rare word are unchanged.

create table if not exists private.search_document_counts (
  user_id uuid primary key references auth.users (id) on delete cascade,
  documents bigint not null default 0,
  constraint search_document_counts_not_negative check (documents >= 0)
);
comment on table private.search_document_counts is
  'How many search documents each person has (kept by triggers on public.search_documents; read by private.search_text_hits).';
revoke all on table private.search_document_counts from public, anon, authenticated;
grant select on table private.search_document_counts to service_role;

create or replace function private.count_added_search_documents() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.search_document_counts as c (user_id, documents)
  select a.user_id, count(*) from added a group by a.user_id order by a.user_id
  on conflict (user_id) do update set documents = c.documents + excluded.documents;
  return null;
end;
$$;
comment on function private.count_added_search_documents() is
  'Adds a statement''s new search documents to their owners'' counts.';
revoke all on function private.count_added_search_documents() from public, anon, authenticated;

-- Only an update: a person deleted with their documents (the auth.users cascade) has no count
-- row left to write, and must not get one.
create or replace function private.count_removed_search_documents() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.search_document_counts c
     set documents = greatest(c.documents - r.removed, 0)
    from (select o.user_id, count(*) as removed from gone o group by o.user_id) as r
   where c.user_id = r.user_id;
  return null;
end;
$$;
comment on function private.count_removed_search_documents() is
  'Takes a statement''s deleted search documents off their owners'' counts.';
revoke all on function private.count_removed_search_documents() from public, anon, authenticated;

-- No writer may slip between the triggers and the count below.
lock table public.search_documents in share row exclusive mode;

drop trigger if exists search_documents_count_added on public.search_documents;
create trigger search_documents_count_added
  after insert on public.search_documents
  referencing new table as added
  for each statement execute function private.count_added_search_documents();

drop trigger if exists search_documents_count_removed on public.search_documents;
create trigger search_documents_count_removed
  after delete on public.search_documents
  referencing old table as gone
  for each statement execute function private.count_removed_search_documents();

insert into private.search_document_counts (user_id, documents)
select d.user_id, count(*) from public.search_documents d group by d.user_id
on conflict (user_id) do update set documents = excluded.documents;

create or replace function private.search_text_hits(
  query text,
  entity_types text[],
  app uuid,
  created_after timestamptz,
  created_before timestamptz,
  max_hits integer
)
returns table (entity_type text, entity_id uuid, text_rank real, text_strength real, matched_terms text[])
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan  -- as 20261202130300 set it
as $$
declare
  me uuid := auth.uid();
  cap integer := least(greatest(coalesce(max_hits, 0), 0), 200);
  terms record;
  n_docs integer;
  dfs integer[];
  idfs double precision[];
  match_tsq tsquery;
  any_common tsquery;  -- only common words: any of them, when no document has them all
  newest integer;      -- only common words: rank the newest matches only
begin
  terms := private.search_terms(query);
  if me is null or cap = 0 or cardinality(terms.lexemes) = 0 then
    return;
  end if;
  select coalesce(max(c.documents), 0) into n_docs
    from private.search_document_counts c where c.user_id = me;
  if n_docs = 0 then
    return;
  end if;
  -- Lexemes are letters and digits only (the words were split on everything else), so quoting
  -- them is safe; a cast, unlike to_tsquery, does not stem them a second time.
  select array_agg((select count(*) from public.search_documents d
                    where d.user_id = me and d.search_vector @@ ('''' || x.lexeme || '''')::tsquery)::integer
                   order by x.ord)
    into dfs
  from unnest(terms.lexemes) with ordinality as x (lexeme, ord);
  idfs := array(select ln(1 + (n_docs - x.df + 0.5) / (x.df + 0.5))
                from unnest(dfs) with ordinality as x (df, ord) order by x.ord);
  select string_agg('''' || x.lexeme || '''', ' | ')::tsquery into match_tsq
  from unnest(terms.lexemes, dfs) as x (lexeme, df)
  where x.df > 0 and x.df <= greatest(20, n_docs * 0.05);
  if match_tsq is null then
    -- Only common words: the documents with all of them, else (none has them all) with any.
    select string_agg('''' || x.lexeme || '''', ' & ')::tsquery,
           case when count(*) > 1 then string_agg('''' || x.lexeme || '''', ' | ')::tsquery end
      into match_tsq, any_common
    from unnest(terms.lexemes, dfs) as x (lexeme, df) where x.df > 0;
    newest := cap * 4;
  end if;
  if match_tsq is null then
    return;  -- no query word occurs in any of the caller's documents
  end if;
  loop
    return query
    select h.entity_type, h.entity_id, h.rank,
           least(1, m.idf / ln(1 + (n_docs - 0.5) / 1.5))::real, m.words
    from (
      select d.entity_type, d.entity_id, d.search_vector, ts_rank_cd(d.search_vector, match_tsq) as rank
      from (
        -- Ranking reads every matching document's vector: for common words (thousands of
        -- matches at 10k documents) only the newest cap * 4 of them are ranked.
        select d.entity_type, d.entity_id, d.search_vector
        from public.search_documents d
        where d.user_id = me
          and d.search_vector @@ match_tsq
          and (entity_types is null or d.entity_type = any (entity_types))
          and (d.expires_at is null or d.expires_at > now())
          and (app is null or d.app_id = app)
          and (created_after is null or d.created_at > created_after)
          and (created_before is null or d.created_at < created_before)
        order by case when newest is not null then d.created_at end desc nulls last
        limit newest
      ) as d
      order by rank desc, d.entity_id
      limit cap
    ) as h
    cross join lateral (
      select coalesce(sum(q.idf), 0) as idf, array_agg(q.word order by q.ord) as words
      from unnest(terms.words, terms.lexemes, idfs) with ordinality as q (word, lexeme, idf, ord)
      where q.lexeme = any (tsvector_to_array(h.search_vector))
    ) as m;
    exit when found or any_common is null;
    match_tsq := any_common;
    any_common := null;
  end loop;
end;
$$;
comment on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer) is
  'The caller''s (auth.uid()) full-text hits: ids, ts_rank_cd, idf strength (0-1) and matched words; rare words match, words in over 5% of the documents only weigh in (a query of common words only: documents with all of them, else any, the newest 4 x max_hits ranked). Security definer so the GIN index serves @@; ids only, api.search_candidates re-reads rows under RLS.';
revoke all on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer)
  from public, anon;
grant execute on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer)
  to authenticated, service_role;
