-- The full-text channel at 100k memories (issue 20).
--
-- 1. Per-person term statistics. private.search_text_hits counted each query word's documents
--    (its df, for the idf and to tell rare words from common ones) at every search: a bitmap scan
--    over every match, 5 ms for a word in 8k of 100k documents, once per word. Each person's
--    document frequencies are now kept beside their document count (private.search_term_counts,
--    moved by the same statement triggers), so a search reads them with a few index probes.
--    Each trigger takes the person's count row before any of their term rows (an insert or a
--    delete moves it, an update locks it), so two writers of one person's documents queue on
--    that row and never lock term rows in opposite orders.
--
-- 2. A query of common words only ranks the newest 4 x max_hits of its matches, but had to read
--    every match to find the newest (8k documents at 100k). The person's documents are now
--    indexed by creation time, with their vectors (search_documents_user_created_idx, which
--    serves user_id lookups too and replaces search_documents_user_idx), so that case walks back
--    from the newest document and stops at 4 x max_hits matches, without reading the table.
--    The 5% that makes a word common stays: at 100k, ranking every match of a word in 1.7% of
--    the documents (bitmap scan) took as long as walking the index for its newest 200 (3.6 and
--    4.3 ms median); for a word in 7.8%, 14.2 ms against 1.4 ms.
--
-- The table (private.search_term_counts), the insert and delete triggers' functions and
-- private.search_text_hits are defined in 20261202130000_search.sql, where they were first made
-- (nothing is deployed yet: one home per function); this migration adds the update trigger,
-- the backfill and the index.
--
-- The ranking stays ts_rank_cd: BM25 over the same statistics (k1 1.2, b 0.75) ranked the
-- long-conversation benchmark's tune split lower (recall@10 58.9 against 59.6,
-- docs/measurements.md).

-- No writer may slip between the triggers and the backfill below.
lock table public.search_documents in share row exclusive mode;

-- A rewritten document (a memory's new content) moves the counts of the words it gained or lost.
create or replace function private.count_changed_search_documents() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- The owners' count rows first, as the insert and delete triggers take them.
  perform from private.search_document_counts c
   where c.user_id in (select n.user_id from fresh n union select o.user_id from stale o)
   order by c.user_id
   for no key update;
  -- Words lost move their rows down (a check on the proposed row would refuse an insert of a
  -- negative count before its conflict), words new to the person get rows.
  with delta as (
    select x.user_id, x.lexeme, sum(x.delta)::integer as delta
    from (select n.user_id, l.lexeme, 1 as delta
          from fresh n cross join lateral unnest(tsvector_to_array(n.search_vector)) as l (lexeme)
          union all
          select o.user_id, l.lexeme, -1
          from stale o cross join lateral unnest(tsvector_to_array(o.search_vector)) as l (lexeme)) as x
    group by x.user_id, x.lexeme
    having sum(x.delta) <> 0
  ),
  moved as (
    update private.search_term_counts t
       set documents = greatest(t.documents + d.delta, 0)
      from delta d
     where t.user_id = d.user_id and t.lexeme = d.lexeme
    returning t.user_id, t.lexeme
  )
  insert into private.search_term_counts as t (user_id, lexeme, documents)
  select d.user_id, d.lexeme, d.delta from delta d
  where d.delta > 0
    and not exists (select from moved m where m.user_id = d.user_id and m.lexeme = d.lexeme)
  order by d.user_id, d.lexeme
  on conflict (user_id, lexeme) do update set documents = t.documents + excluded.documents;
  return null;
end;
$$;
comment on function private.count_changed_search_documents() is
  'Moves the term counts of a statement''s rewritten search documents (words gained or lost).';
revoke all on function private.count_changed_search_documents() from public, anon, authenticated;

drop trigger if exists search_documents_count_changed on public.search_documents;
create trigger search_documents_count_changed
  after update on public.search_documents
  referencing old table as stale new table as fresh
  for each statement execute function private.count_changed_search_documents();

insert into private.search_term_counts (user_id, lexeme, documents)
select d.user_id, l.lexeme, count(*)
from public.search_documents d cross join lateral unnest(tsvector_to_array(d.search_vector)) as l (lexeme)
group by d.user_id, l.lexeme
on conflict (user_id, lexeme) do update set documents = excluded.documents;

-- By creation time: the newest matches of common words are found walking back from the newest
-- document (at 100k, 2.8k documents walked for 200 matches: 4.3 ms). Not covering the vectors:
-- that read the index alone (1.1 ms) but a btree entry holds at most 8 kB, and the vector of a
-- long memory (an import's 50,000 characters) is larger, so its insert failed.
create index if not exists search_documents_user_created_idx
  on public.search_documents (user_id, created_at desc)
  include (entity_type, entity_id, expires_at, app_id);
drop index if exists public.search_documents_user_idx;
