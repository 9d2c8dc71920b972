-- Search documents (kept by triggers) and api.search_candidates: the caller's live rows only,
-- text matches with their terms, re-read ids, filters, the caller's app knowledge, and who may
-- call it.
begin;
create extension if not exists pgtap with schema extensions;
select plan(41);

insert into auth.users (id, email) values
  ('52000000-0000-4000-8000-000000000001', 'searcher520@example.com'),
  ('52000000-0000-4000-8000-000000000002', 'stranger520@example.com');
insert into public.apps (app_id, slug, display_name, domain) values
  ('52000000-0000-4000-8000-0000000000b1', 't520_coach', 'Coach 520', 'health'),
  ('52000000-0000-4000-8000-0000000000b2', 't520_other', 'Other 520', 'health');
insert into public.knowledge_bases (knowledge_base_id, slug, title) values
  ('52000000-0000-4000-8000-0000000000c1', 't520_notes', 'Notes'),
  ('52000000-0000-4000-8000-0000000000c2', 't520_other_notes', 'Other notes');
insert into public.app_knowledge_bases (app_id, knowledge_base_id) values
  ('52000000-0000-4000-8000-0000000000b1', '52000000-0000-4000-8000-0000000000c1'),
  ('52000000-0000-4000-8000-0000000000b2', '52000000-0000-4000-8000-0000000000c2');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content) values
  ('52000000-0000-4000-8000-0000000000d1', '52000000-0000-4000-8000-0000000000c1', 'Rowing', 'Rowing technique for beginners'),
  ('52000000-0000-4000-8000-0000000000d2', '52000000-0000-4000-8000-0000000000c2', 'Rowing tempo', 'Rowing at a steady tempo');
insert into public.user_progress (user_id, app_id) values
  ('52000000-0000-4000-8000-000000000001', '52000000-0000-4000-8000-0000000000b1');

-- Given memories (one expired, one in the coaching app, one old), a concept, an artifact, and
-- the stranger's memory with the same words.
insert into public.memories (memory_id, user_id, app_id, memory_type, title, content, tags, created_at, expires_at) values
  ('52000000-0000-4000-8000-0000000000a1', '52000000-0000-4000-8000-000000000001', null, 'memory', 'Rowing race', 'We won the rowing regatta on the river', '{sport}', now(), null),
  ('52000000-0000-4000-8000-0000000000a2', '52000000-0000-4000-8000-000000000001', null, 'memory', 'Old rowing', 'Rowing lessons as a child', '{}', '2024-03-01', null),
  ('52000000-0000-4000-8000-0000000000a3', '52000000-0000-4000-8000-000000000001', null, 'memory', 'Gone', 'A rowing memory that expired', '{}', now() - interval '2 days', now() - interval '1 day'),
  ('52000000-0000-4000-8000-0000000000a4', '52000000-0000-4000-8000-000000000001', '52000000-0000-4000-8000-0000000000b1', 'insight', null, 'Rowing twice a week suits you', '{}', now(), now() + interval '30 days'),
  ('52000000-0000-4000-8000-0000000000a5', '52000000-0000-4000-8000-000000000002', null, 'memory', 'Their rowing', 'Rowing in the stranger''s life', '{}', now(), null),
  ('52000000-0000-4000-8000-0000000000a6', '52000000-0000-4000-8000-000000000001', null, 'memory', 'Lake', 'Swimming across the lake at dawn', '{}', now(), null);
insert into public.concepts (concept_id, user_id, name, type, description) values
  ('52000000-0000-4000-8000-0000000000e1', '52000000-0000-4000-8000-000000000001', 'Rowing', 'activity', 'A sport on water'),
  ('52000000-0000-4000-8000-0000000000e2', '52000000-0000-4000-8000-000000000001', 'Rowing club', 'organisation', null);
insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title, content_narrative) values
  ('52000000-0000-4000-8000-0000000000f1', '52000000-0000-4000-8000-000000000001', 'insight_summary', 'Your month', 'Much rowing and little sleep');

-- The triggers keep one document per searchable row.
select is((select count(*)::integer from public.search_documents where user_id = '52000000-0000-4000-8000-000000000001'), 8,
          'every memory, active concept and artifact has a document');
select ok((select search_vector from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000a1')
          @@ to_tsquery('english', 'sport:C & rowing:A'), 'a memory''s tags weigh C and its title A');
select ok((select search_vector from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000f1')
          @@ to_tsquery('english', 'sleep:C'), 'an artifact''s narrative is indexed');
update public.memories set content = 'We won the kayak regatta' where memory_id = '52000000-0000-4000-8000-0000000000a1';
select ok((select search_vector from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000a1')
          @@ to_tsquery('english', 'kayak'), 'editing a memory re-indexes it');
delete from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000a1';
update public.memories set importance = 0.1, access_count = 3 where memory_id = '52000000-0000-4000-8000-0000000000a1';
select is_empty($$select from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000a1'$$,
                'decay and access counting do not touch the index');
update public.memories set title = 'Rowing race' where memory_id = '52000000-0000-4000-8000-0000000000a1';
select isnt_empty($$select from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000a1'$$,
                  'a title change re-indexes');
update public.concepts set status = 'merged', merged_into_concept_id = '52000000-0000-4000-8000-0000000000e1'
where concept_id = '52000000-0000-4000-8000-0000000000e2';
select is_empty($$select from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000e2'$$,
                'a merged concept leaves the index');
delete from public.memories where memory_id = '52000000-0000-4000-8000-0000000000a6';
select is_empty($$select from public.search_documents where entity_id = '52000000-0000-4000-8000-0000000000a6'$$,
                'a deleted memory leaves the index');
select throws_ok($$insert into public.search_documents (entity_type, entity_id, user_id, created_at, search_vector)
                   values ('photo', gen_random_uuid(), '52000000-0000-4000-8000-000000000001', now(), '')$$,
                 '23514', 'new row for relation "search_documents" violates check constraint "search_documents_entity_type_valid"',
                 'search_documents_entity_type_valid rejects an unknown type');

set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '52000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

-- When the user searches for "rowing".
select set_eq(
  $$select entity_type || ':' || right(entity_id::text, 2) from api.search_candidates('rowing')$$,
  array['memory:a1', 'memory:a2', 'memory:a4', 'concept:e1', 'artifact:f1', 'knowledge:d1'],
  'text candidates: own live memories, concepts, artifacts and the knowledge of the user''s app; not the expired, not the stranger''s, not another app''s');
select is((select matched_terms from api.search_candidates('Rowing, lessons!') where entity_id = '52000000-0000-4000-8000-0000000000a2'),
          array['rowing', 'lessons'], 'each text hit names the query words it contains, as spelled');
select ok((select bool_and(text_rank > 0) from api.search_candidates('rowing')), 'every text hit carries its rank');
select ok((select text_strength from api.search_candidates('lessons') where entity_id = '52000000-0000-4000-8000-0000000000a2')
          > 2 * (select text_strength from api.search_candidates('rowing') where entity_id = '52000000-0000-4000-8000-0000000000a2'),
          'a word found once makes a stronger hit than a word most documents share');
select is((select text_strength from api.search_candidates('lessons') where entity_id = '52000000-0000-4000-8000-0000000000a2'),
          1::real, 'strength is capped at 1');
select ok((select max(text_rank) filter (where entity_id = '52000000-0000-4000-8000-0000000000e1')
               > max(text_rank) filter (where entity_id = '52000000-0000-4000-8000-0000000000a4')
            from api.search_candidates('rowing')),
          'a name match (weight A) ranks above a content-only match (weight B)');
select set_eq($$select distinct entity_type from api.search_candidates('rowing', '{memory,concept}')$$,
              array['memory', 'concept'], 'types filter');
select is_empty($$select from api.search_candidates('the and of')$$, 'a query of stop words finds nothing');
select is_empty($$select from api.search_candidates('o''brien & | ! \ :* (')$$, 'tsquery syntax in a query is just text');

-- And ids found elsewhere (the vector index, the graph) are re-read.
select set_eq(
  $$select right(entity_id::text, 2) from api.search_rows(array['52000000-0000-4000-8000-0000000000a1', '52000000-0000-4000-8000-0000000000a3',
     '52000000-0000-4000-8000-0000000000a5', '52000000-0000-4000-8000-0000000000a6', '52000000-0000-4000-8000-0000000000e2',
     '52000000-0000-4000-8000-0000000000f1']::uuid[])$$,
  array['a1', 'f1'], 'a re-read returns only live, active rows of the caller''s');
select is_empty($$select from api.search_candidates('')$$, 'an empty query has no candidates');
select is((select title from api.search_rows(array['52000000-0000-4000-8000-0000000000a4']::uuid[])),
          'Rowing twice a week suits you', 'an untitled memory is titled by its content');

-- Filters.
select set_eq($$select right(entity_id::text, 2) from api.search_candidates('rowing', null, '52000000-0000-4000-8000-0000000000b1')$$,
              array['a4', 'd1'], 'app: that app''s memories and knowledge');
select is_empty($$select from api.search_candidates('rowing', '{knowledge}', '52000000-0000-4000-8000-0000000000b2')$$,
                'an app the user has no progress or conversation in gives no knowledge');
select set_eq($$select right(entity_id::text, 2) from api.search_candidates('rowing', '{memory}', null, null, '2025-01-01')$$,
              array['a2'], 'created_before');
select set_eq($$select right(entity_id::text, 2) from api.search_candidates('rowing', '{memory}', null, '2025-01-01')$$,
              array['a1', 'a4'], 'created_after');
select is((select count(*)::integer from api.search_candidates('rowing', '{memory}', null, null, null, 1)), 1,
          'max_text_hits caps the text candidates');

-- The stranger sees only theirs.
select set_config('request.jwt.claims', json_build_object('sub', '52000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);
select set_eq($$select right(entity_id::text, 2) from api.search_candidates('rowing')
                union all select right(entity_id::text, 2) from api.search_rows(array['52000000-0000-4000-8000-0000000000a2']::uuid[])$$,
              array['a5'], 'another user''s ids and words never come back');
select throws_ok($$insert into public.search_documents (entity_type, entity_id, user_id, created_at, search_vector)
                   values ('memory', gen_random_uuid(), '52000000-0000-4000-8000-000000000002', now(), '')$$,
                 '42501', null, 'nobody writes search documents directly');
reset role;

-- Searching counted nothing: the service counts the knowledge a page shows.
select is((select access_count from public.knowledge_entries where knowledge_entry_id = '52000000-0000-4000-8000-0000000000d1'),
          0, 'search_candidates only reads: knowledge candidates are not counted');
select is((select provolatile from pg_proc
           where oid = 'api.search_candidates(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)'::regprocedure),
          's', 'search_candidates is stable');
-- The shown hits are counted, only those of the caller's apps (d2 is another app's).
select set_config('request.jwt.claims', json_build_object('sub', '52000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);
set local role authenticated;
select is(api.record_search_knowledge_access(array['52000000-0000-4000-8000-0000000000d1', '52000000-0000-4000-8000-0000000000d2',
                                                   '52000000-0000-4000-8000-0000000000a1']::uuid[]),
          1, 'record_search_knowledge_access counts only knowledge of the caller''s apps');
select is(api.record_search_knowledge_access('{}'), 0, 'nothing shown, nothing counted');
reset role;
select results_eq($$select right(knowledge_entry_id::text, 2), access_count from public.knowledge_entries
                    where knowledge_entry_id in ('52000000-0000-4000-8000-0000000000d1', '52000000-0000-4000-8000-0000000000d2')
                    order by 1$$,
                  $$values ('d1', 1), ('d2', 0)$$, 'one access for the shown entry of the caller''s app, none for another app''s');
select set_config('request.jwt.claims', json_build_object('sub', '52000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);
set local role authenticated;
select is(api.record_search_knowledge_access(array['52000000-0000-4000-8000-0000000000d1']::uuid[]), 0,
          'a stranger cannot count another person''s app knowledge');
reset role;

set local role anon;
select throws_ok($$select * from api.search_candidates('rowing')$$, '42501', null, 'anon cannot search');
select throws_ok($$select api.record_search_knowledge_access('{}')$$, '42501', null, 'anon cannot count knowledge access');
select throws_ok($$select * from private.search_text_hits('rowing', null, null, null, null, 10)$$, '42501', null,
                 'anon cannot call the text helper');
reset role;
select is((select prosecdef from pg_proc
           where oid = 'api.search_candidates(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)'::regprocedure),
          false, 'search runs with the caller''s rights (security invoker)');
select set_config('request.jwt.claims', '', true);
select is_empty($$select * from private.search_text_hits('rowing', null, null, null, null, 10)$$,
                'without a signed-in caller the definer helper finds nothing');
select is((select prosecdef and proconfig @> array['search_path=""', 'plan_cache_mode=force_custom_plan']
           from pg_proc where oid = 'private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)'::regprocedure),
          true, 'the text helper is a definer with an empty search_path, planned for its actual words');
select policies_are('public', 'search_documents', array['Search documents are readable by their owner'],
                    'one policy: the owner reads');

select * from finish();
rollback;
