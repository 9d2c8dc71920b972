-- api.search_knowledge: relevance order (title over content over tags), only the app's active
-- knowledge bases, access counting, and who may call it.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

insert into auth.users (id, email) values ('11000000-0000-4000-8000-000000000001', 'searcher@example.com');

-- Given an app reading one active and one inactive base, and another app's base.
insert into public.apps (app_id, slug, display_name, domain) values
  ('11000000-0000-4000-8000-0000000000b1', 't110_matchmaker', 'Hugo Matchmaker', 'dating'),
  ('11000000-0000-4000-8000-0000000000b2', 't110_career', 'Hugo Career', 'career');
insert into public.knowledge_bases (knowledge_base_id, slug, title, is_active) values
  ('11000000-0000-4000-8000-0000000000c1', 't110_code_v2', 'Intimacy Code', true),
  ('11000000-0000-4000-8000-0000000000c2', 't110_code_v1', 'Intimacy Code (old)', false),
  ('11000000-0000-4000-8000-0000000000c3', 't110_career_ladder', 'Career Ladder', true);
insert into public.app_knowledge_bases (app_id, knowledge_base_id) values
  ('11000000-0000-4000-8000-0000000000b1', '11000000-0000-4000-8000-0000000000c1'),
  ('11000000-0000-4000-8000-0000000000b1', '11000000-0000-4000-8000-0000000000c2'),
  ('11000000-0000-4000-8000-0000000000b2', '11000000-0000-4000-8000-0000000000c3');
insert into public.knowledge_entries (knowledge_entry_id, knowledge_base_id, title, content, tags) values
  ('11000000-0000-4000-8000-0000000000d1', '11000000-0000-4000-8000-0000000000c1', 'Openness in dating', 'Share what you feel.', '{}'),
  ('11000000-0000-4000-8000-0000000000d2', '11000000-0000-4000-8000-0000000000c1', 'First dates', 'Vulnerability and openness build trust.', '{}'),
  ('11000000-0000-4000-8000-0000000000d3', '11000000-0000-4000-8000-0000000000c1', 'Listening', 'Ask questions and listen.', '{openness}'),
  ('11000000-0000-4000-8000-0000000000d4', '11000000-0000-4000-8000-0000000000c1', 'Timing', 'Reply when you are ready.', '{}'),
  ('11000000-0000-4000-8000-0000000000d5', '11000000-0000-4000-8000-0000000000c2', 'Openness (old)', 'Outdated advice on openness.', '{}'),
  ('11000000-0000-4000-8000-0000000000d6', '11000000-0000-4000-8000-0000000000c3', 'Openness at work', 'Career openness.', '{}');

select ok((select search_vector from public.knowledge_entries where knowledge_entry_id = '11000000-0000-4000-8000-0000000000d3')
          @@ to_tsquery('english', 'openness:C'), 'tags are indexed with weight C');

set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '11000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

-- When the user searches the matchmaker's knowledge for "openness".
select results_eq(
  $$select knowledge_entry_id from api.search_knowledge('openness', 't110_matchmaker', 10)$$,
  array['11000000-0000-4000-8000-0000000000d1', '11000000-0000-4000-8000-0000000000d2', '11000000-0000-4000-8000-0000000000d3']::uuid[],
  'a title hit ranks above a content hit, above a tag hit; inactive bases and other apps are left out');
select results_eq(
  $$select knowledge_entry_id from api.search_knowledge('openness', '11000000-0000-4000-8000-0000000000b1', 1)$$,
  array['11000000-0000-4000-8000-0000000000d1']::uuid[],
  'the app may be given by id, and the limit holds');
select ok((select bool_and(relevance > 0) from api.search_knowledge('openness', 't110_matchmaker', 10)),
          'every hit carries its relevance');
select is_empty($$select * from api.search_knowledge('the and of', 't110_matchmaker', 10)$$,
                'a query of stop words finds nothing');
select is_empty($$select * from api.search_knowledge('openness', 'no_such_app', 10)$$, 'an unknown app finds nothing');
select results_eq($$select knowledge_entry_id from api.search_knowledge('"build trust" -timing', 't110_matchmaker', 10)$$,
                  array['11000000-0000-4000-8000-0000000000d2']::uuid[], 'websearch syntax (phrases, exclusion) works');
reset role;

-- Then each hit's access was counted (openness x2 for d1, x1 for d2/d3; "build trust" once for d2).
select results_eq(
  $$select knowledge_entry_id, access_count from public.knowledge_entries where knowledge_entry_id::text like '11000000-%' order by knowledge_entry_id$$,
  $$values ('11000000-0000-4000-8000-0000000000d1'::uuid, 3), ('11000000-0000-4000-8000-0000000000d2'::uuid, 3),
           ('11000000-0000-4000-8000-0000000000d3'::uuid, 2), ('11000000-0000-4000-8000-0000000000d4'::uuid, 0),
           ('11000000-0000-4000-8000-0000000000d5'::uuid, 0), ('11000000-0000-4000-8000-0000000000d6'::uuid, 0)$$,
  'search counts one access per returned entry and none for the rest');
select isnt((select last_accessed_at from public.knowledge_entries where knowledge_entry_id = '11000000-0000-4000-8000-0000000000d3'),
            null, 'search stamps last_accessed_at');
select is((select updated_at from public.knowledge_entries where knowledge_entry_id = '11000000-0000-4000-8000-0000000000d1'),
          (select created_at from public.knowledge_entries where knowledge_entry_id = '11000000-0000-4000-8000-0000000000d1'),
          'an access is not an edit (updated_at unchanged)');

-- The hits as one jsonb array (what the knowledge API and the chat context read), best first.
set local role authenticated;
select is((select jsonb_agg(jsonb_build_array(h->>'knowledge_entry_id', (h->>'rank_order')::integer))
           from jsonb_array_elements(api.knowledge_hits('openness', 't110_matchmaker', 10)) h),
          '[["11000000-0000-4000-8000-0000000000d1", 1], ["11000000-0000-4000-8000-0000000000d2", 2],
            ["11000000-0000-4000-8000-0000000000d3", 3]]'::jsonb,
          'knowledge_hits holds the search''s hits in rank order');
select is(api.knowledge_hits('openness', 'no_such_app', 10), '[]'::jsonb, 'no hits: an empty array');
set local role anon;
select throws_ok($$select api.knowledge_hits('openness', 't110_matchmaker', 5)$$, '42501', null,
                 'anon cannot read knowledge hits');
reset role;

-- Who may call it.
set local role anon;
select throws_ok($$select * from api.search_knowledge('openness', 't110_matchmaker', 5)$$, '42501', null,
                 'anon cannot search');
reset role;
select is(has_function_privilege('authenticated', 'api.search_knowledge(text, text, integer)', 'execute'), true,
          'signed-in users may search');
select is((select prosecdef from pg_proc where oid = 'api.search_knowledge(text, text, integer)'::regprocedure), false,
          'search runs with the caller''s rights (security invoker)');

select * from finish();
rollback;
