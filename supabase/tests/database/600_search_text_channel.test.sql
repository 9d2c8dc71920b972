-- The full-text channel's costs (20261202130000): the kept count of each person's documents
-- follows every insert, rewrite, archive, delete, several people in one statement and an
-- erasure; a query of common words only matches the documents with all of them first.
begin;
create extension if not exists pgtap with schema extensions;
select plan(14);

insert into auth.users (id, email) values
  ('60000000-0000-4000-8000-000000000001', 'counted600@example.com'),
  ('60000000-0000-4000-8000-000000000002', 'other600@example.com');

create function pg_temp.kept(uid uuid) returns bigint language sql as $$
  select coalesce((select documents from private.search_document_counts where user_id = uid), 0)
$$;
create function pg_temp.real(uid uuid) returns bigint language sql as $$
  select count(*) from public.search_documents where user_id = uid
$$;

-- Two people's memories in one statement.
insert into public.memories (user_id, title, content)
select case when n % 3 = 0 then '60000000-0000-4000-8000-000000000002'::uuid
            else '60000000-0000-4000-8000-000000000001'::uuid end,
       'Walk ' || n, 'A walk by the river, number ' || n
from generate_series(1, 30) as n;
select is(pg_temp.kept('60000000-0000-4000-8000-000000000001'), 20::bigint,
  'one statement adding 20 documents for one person counts 20');
select is(pg_temp.kept('60000000-0000-4000-8000-000000000002'), 10::bigint,
  'and 10 for the other person of the same statement');

update public.memories set content = content || ' again'
 where user_id = '60000000-0000-4000-8000-000000000001';
select is(pg_temp.kept('60000000-0000-4000-8000-000000000001'), 20::bigint,
  'rewriting documents changes no count');

insert into public.concepts (concept_id, user_id, name, type) values
  ('60000000-0000-4000-8000-0000000000c1', '60000000-0000-4000-8000-000000000001', 'River', 'place');
select is(pg_temp.kept('60000000-0000-4000-8000-000000000001'), 21::bigint,
  'an active concept counts');
update public.concepts set status = 'archived' where concept_id = '60000000-0000-4000-8000-0000000000c1';
select is(pg_temp.kept('60000000-0000-4000-8000-000000000001'), 20::bigint,
  'archiving it takes it off');

delete from public.memories
 where user_id = '60000000-0000-4000-8000-000000000001' and title in ('Walk 1', 'Walk 2', 'Walk 4');
select is(pg_temp.kept('60000000-0000-4000-8000-000000000001'), 17::bigint,
  'deleting three memories takes three off');
select is(pg_temp.kept('60000000-0000-4000-8000-000000000001'),
          pg_temp.real('60000000-0000-4000-8000-000000000001'),
  'the kept count is the real count');

-- Common words only. The other person has 86 documents, so a word in over 20 of them is common:
-- "walk" (in 55: the 10 above and 20 more by the river, ten days old, and 25 in town, the newest),
-- "river" (30), "hill" (30, never with river); "bench" is in one.
insert into public.memories (user_id, title, content, created_at)
select '60000000-0000-4000-8000-000000000002', 'Walk, walk by the river', 'Walk, walk, walk by the river', now() - interval '10 days'
from generate_series(1, 20);
insert into public.memories (user_id, title, content, created_at)
select '60000000-0000-4000-8000-000000000002', 'Town ' || n, 'A walk in town', now() - make_interval(mins => n)
from generate_series(1, 25) as n;
insert into public.memories (user_id, title, content)
select '60000000-0000-4000-8000-000000000002', 'Hill', 'A climb up the hill' from generate_series(1, 30);
insert into public.memories (user_id, title, content) values
  ('60000000-0000-4000-8000-000000000002', 'Bench', 'A bench in the park');
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"60000000-0000-4000-8000-000000000002","role":"authenticated"}', true);
select is((select count(*)::integer from private.search_text_hits('river walk', null, null, null, null, 100)),
  30, 'common words only: the documents with all of them (not the 25 with walk alone)');
select is((select count(*)::integer from private.search_text_hits('river hill', null, null, null, null, 100)),
  60, 'no document has all of them: those with any');
select is((select count(*)::integer from private.search_text_hits('walk bench', null, null, null, null, 100)),
  1, 'a rare word matches as before, the common ones only weigh in');
select is((select count(*)::integer from private.search_text_hits('walk', null, null, null, null, 5) h
            join public.memories m on m.memory_id = h.entity_id
            where m.created_at < now() - interval '1 day'), 0,
  'common words only: the newest 4 x max_hits matches are ranked (the ten-day-old ones, which rank higher, are not)');
select is((select count(*)::integer from private.search_text_hits('walk', null, null, null, null, 5)),
  5, 'and max_hits still holds');
reset role;

-- Erasure: the auth.users cascade removes the documents and the count row with them.
delete from auth.users where id = '60000000-0000-4000-8000-000000000002';
select is((select count(*)::integer from private.search_document_counts
           where user_id = '60000000-0000-4000-8000-000000000002'), 0,
  'an erased person keeps no count row');
select throws_ok(
  $$update private.search_document_counts set documents = -1
    where user_id = '60000000-0000-4000-8000-000000000001'$$,
  '23514', null, 'a count never goes below zero');

select * from finish();
rollback;
