-- private.memory_passes and the search functions under a memory filter: the text channel keeps
-- only the memories meeting it (and the concepts, as graph seeds), the re-read likewise, and
-- knowledge is left out.
begin;
create extension if not exists pgtap with schema extensions;
select plan(14);

insert into auth.users (id, email) values ('68000000-0000-4000-8000-000000000001', 'f1@example.com');
insert into public.memories (memory_id, user_id, title, content, memory_type, tags, importance, occurred_at, attributes)
values
  ('68000000-0000-4000-8000-0000000000a1', '68000000-0000-4000-8000-000000000001', 'Lake', 'Quokka swim at the lake',
   'milestone', '{lake,hike}', 0.8, '2026-03-01', '{"project": "alpha", "client": {"tier": 2}, "list": [1]}'),
  ('68000000-0000-4000-8000-0000000000a2', '68000000-0000-4000-8000-000000000001', 'Work', 'Quokka slides at work',
   'memory', '{work}', 0.2, null, '{"project": "beta"}');
insert into public.concepts (concept_id, user_id, name, type)
values ('68000000-0000-4000-8000-0000000000c1', '68000000-0000-4000-8000-000000000001', 'Quokka', 'animal');

select ok(private.memory_passes(null, (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'no restrictions: every memory passes');
select ok(private.memory_passes('{"tags_any": ["x", "lake"]}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'any of the tags');
select ok(not private.memory_passes('{"tags_all": ["lake", "x"]}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'all of the tags');
select ok(private.memory_passes('{"memory_types": ["milestone"]}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'a memory type');
select ok(not private.memory_passes('{"importance_min": 0.9}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'an importance floor');
select ok(private.memory_passes('{"occurred_after": "2026-01-01T00:00:00Z", "occurred_before": "2026-04-01T00:00:00Z"}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')),
  'an occurred_at range');
select ok(private.memory_passes('{"metadata": {"project": "alpha", "client.tier": "2"}}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')),
  'attributes by dotted path, compared as text');
select ok(not private.memory_passes('{"metadata": {"list": "[1]"}}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'a list attribute never matches');
select ok(not private.memory_passes('{"metadata": {"missing": "x"}}', (select x from public.memories x where x.memory_id = '68000000-0000-4000-8000-0000000000a1')), 'a missing attribute never matches');

set local role authenticated;
set local request.jwt.claims = '{"sub": "68000000-0000-4000-8000-000000000001", "role": "authenticated"}';

select set_eq($$select right(entity_id::text, 2) from api.search_candidates('quokka')$$,
  array['a1', 'a2', 'c1'], 'unfiltered, words find both memories and the concept');
select set_eq($$select right(entity_id::text, 2) from api.search_candidates('quokka', null, null, null, null, 50, '{"tags_any": ["lake"]}')$$,
  array['a1', 'c1'], 'a memory filter keeps the memories meeting it, and the concept as a graph seed');
select set_eq($$select right(entity_id::text, 2)
                from private.search_text_hits('quokka', '{memory}', null, null, null, 1, '{"importance_max": 0.5}')$$,
  array['a2'], 'the text channel filters before its cap');
select set_eq($$select right(entity_id::text, 2) from api.search_rows(array['68000000-0000-4000-8000-0000000000a1',
                '68000000-0000-4000-8000-0000000000a2', '68000000-0000-4000-8000-0000000000c1']::uuid[],
                null, null, null, null, '{"metadata": {"project": "beta"}}')$$,
  array['a2', 'c1'], 'the re-read filters memories');
select is_empty($$select from api.search_candidates('quokka', '{knowledge}', null, null, null, 50, '{"tags_any": ["lake"]}')$$,
  'a memory filter leaves knowledge out');

select * from finish();
rollback;
