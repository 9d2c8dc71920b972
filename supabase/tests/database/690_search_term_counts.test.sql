-- Each person's kept term counts (20261210100000): they follow every insert, rewrite, archive,
-- delete, several people in one statement and an erasure; the text channel reads them instead of
-- counting; nobody but the service reads them directly.
begin;
create extension if not exists pgtap with schema extensions;
select plan(12);

insert into auth.users (id, email) values
  ('69000000-0000-4000-8000-000000000001', 'terms690@example.com'),
  ('69000000-0000-4000-8000-000000000002', 'other690@example.com');

-- The kept counts that differ from a count of the person's documents (nothing: they agree).
create function pg_temp.off(uid uuid) returns bigint language sql as $$
  with real as (
    select l.lexeme, count(*)::integer as documents
    from public.search_documents d cross join lateral unnest(tsvector_to_array(d.search_vector)) as l (lexeme)
    where d.user_id = uid group by l.lexeme
  ), kept as (
    select t.lexeme, t.documents from private.search_term_counts t where t.user_id = uid and t.documents > 0
  )
  select count(*) from ((table real except table kept) union all (table kept except table real)) as x
$$;
create function pg_temp.kept(uid uuid, word text) returns integer language sql as $$
  select coalesce((select documents from private.search_term_counts where user_id = uid and lexeme = word), 0)
$$;

-- Two people's memories in one statement.
insert into public.memories (user_id, title, content)
select case when n % 3 = 0 then '69000000-0000-4000-8000-000000000002'::uuid
            else '69000000-0000-4000-8000-000000000001'::uuid end,
       'Walk ' || n, 'A walk by the river, number ' || n
from generate_series(1, 30) as n;
select is(pg_temp.kept('69000000-0000-4000-8000-000000000001', 'river'), 20,
  'one statement of 20 documents with "river" for one person counts 20');
select is(pg_temp.kept('69000000-0000-4000-8000-000000000002', 'river'), 10,
  'and 10 for the other person of the same statement');
select is(pg_temp.off('69000000-0000-4000-8000-000000000001') + pg_temp.off('69000000-0000-4000-8000-000000000002'),
  0::bigint, 'every kept count is the real count');

update public.memories set content = 'A swim in the lake'
 where user_id = '69000000-0000-4000-8000-000000000001' and title in ('Walk 1', 'Walk 2');
select is(pg_temp.kept('69000000-0000-4000-8000-000000000001', 'lake'), 2,
  'rewriting two documents counts the word they gained');
select is(pg_temp.kept('69000000-0000-4000-8000-000000000001', 'river'), 18,
  'and takes off the word they lost');
select is(pg_temp.kept('69000000-0000-4000-8000-000000000001', 'walk'), 20,
  'a word they kept (in the title) stays');

insert into public.concepts (concept_id, user_id, name, type) values
  ('69000000-0000-4000-8000-0000000000c1', '69000000-0000-4000-8000-000000000001', 'Lake Geneva', 'place');
select is(pg_temp.kept('69000000-0000-4000-8000-000000000001', 'lake'), 3, 'an active concept counts');
update public.concepts set status = 'archived' where concept_id = '69000000-0000-4000-8000-0000000000c1';
delete from public.memories
 where user_id = '69000000-0000-4000-8000-000000000001' and title in ('Walk 1', 'Walk 4', 'Walk 5');
select is(pg_temp.off('69000000-0000-4000-8000-000000000001'), 0::bigint,
  'after archiving a concept and deleting three memories, the kept counts are still the real ones');

-- The text channel reads the kept counts rather than counting: with "lake"'s count set to 0 by
-- hand, the document holding it no longer matches.
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"69000000-0000-4000-8000-000000000001","role":"authenticated"}', true);
select is((select count(*)::integer from private.search_text_hits('lake', null, null, null, null, 100)),
  1, 'a word in one document finds it');
reset role;
update private.search_term_counts set documents = 0
 where user_id = '69000000-0000-4000-8000-000000000001' and lexeme = 'lake';
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"69000000-0000-4000-8000-000000000001","role":"authenticated"}', true);
select is((select count(*)::integer from private.search_text_hits('lake', null, null, null, null, 100)),
  0, 'with its kept count at 0, the channel takes the word for absent');

select throws_ok($$select * from private.search_term_counts$$, '42501', null,
  'a signed-in person cannot read the term counts');
reset role;

-- Erasure: the auth.users cascade removes the term counts with the documents.
delete from auth.users where id = '69000000-0000-4000-8000-000000000002';
select is((select count(*)::integer from private.search_term_counts
           where user_id = '69000000-0000-4000-8000-000000000002'), 0,
  'an erased person keeps no term counts');

select * from finish();
rollback;
