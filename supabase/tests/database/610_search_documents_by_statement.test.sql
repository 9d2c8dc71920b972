-- New and deleted memories' search documents are written and removed once per statement
-- (20261209130000): a statement of many memories writes (or removes) each its document, and moves
-- its person's document count once.
begin;
create extension if not exists pgtap with schema extensions;
select plan(6);

insert into auth.users (id, email) values
  ('61000000-0000-4000-8000-000000000001', 'statement610@example.com');

create function pg_temp.count_writes() returns bigint language sql as $$
  select coalesce(sum(n_tup_ins + n_tup_upd), 0)::bigint from pg_stat_xact_all_tables
  where schemaname = 'private' and relname = 'search_document_counts'
$$;

insert into public.memories (user_id, title, content)
values ('61000000-0000-4000-8000-000000000001', 'First', 'The first memory');
create temporary table writes_before as select pg_temp.count_writes() as n;

insert into public.memories (user_id, title, content, tags)
select '61000000-0000-4000-8000-000000000001', 'Walk ' || n, 'A walk by the river, number ' || n,
       array['outdoors']
from generate_series(1, 40) as n;

select is(pg_temp.count_writes() - (select n from writes_before), 1::bigint,
  'a statement of 40 memories moves the person''s document count once');
select is((select documents from private.search_document_counts
            where user_id = '61000000-0000-4000-8000-000000000001'), 41::bigint,
  'and counts them all');
select is((select count(*)::integer from public.memories m
             join public.search_documents d on d.entity_type = 'memory' and d.entity_id = m.memory_id
            where m.user_id = '61000000-0000-4000-8000-000000000001'
              and d.search_vector = private.search_vector(m.title, m.content, private.tags_as_text(m.tags))
              and d.user_id = m.user_id and d.created_at = m.created_at), 41,
  'every memory has its document, weighted as the row trigger weighs an update');

update public.memories set content = 'A swim in the lake'
 where user_id = '61000000-0000-4000-8000-000000000001' and title = 'Walk 7';
select ok(exists (select from public.search_documents d join public.memories m
                    on d.entity_type = 'memory' and d.entity_id = m.memory_id
                   where m.title = 'Walk 7' and d.search_vector @@ to_tsquery('english', 'lake')),
  'an update still rewrites its document (the row trigger)');

create temporary table writes_before_delete as select pg_temp.count_writes() as n;
delete from public.memories
 where user_id = '61000000-0000-4000-8000-000000000001' and title like 'Walk %';
select is(pg_temp.count_writes() - (select n from writes_before_delete), 1::bigint,
  'a statement deleting 40 memories moves the person''s document count once');
select is((select documents from private.search_document_counts
            where user_id = '61000000-0000-4000-8000-000000000001'), 1::bigint,
  'and their documents are gone with them');

select * from finish();
rollback;
