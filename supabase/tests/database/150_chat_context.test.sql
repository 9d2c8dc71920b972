-- api.get_chat_context: one round trip with the user's personality variant, the app's active
-- knowledge bases, the last ten messages in order, and progress; only for oneself.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

insert into auth.users (id, email) values
  ('15000000-0000-4000-8000-000000000001', 'alice@example.com'),
  ('15000000-0000-4000-8000-000000000002', 'bob@example.com'),
  ('15000000-0000-4000-8000-000000000003', 'carol@example.com');

-- Given a base personality, the matchmaker overlay at 100% and a 50% canary of it.
insert into public.personality_schemas (personality_schema_id, schema_key, version, layer, parent_schema_id, schema, status, rollout_percentage, ab_test_group) values
  ('15000000-0000-4000-8000-0000000000a1', 't150_core', '1.0.0', 'base', null, '{"tone": "warm", "constraints": ["no_medical_advice"]}', 'active', 100, null),
  ('15000000-0000-4000-8000-0000000000a2', 't150_matchmaker', '1.0.0', 'overlay', '15000000-0000-4000-8000-0000000000a1', '{"focus": ["dating"]}', 'active', 100, null),
  ('15000000-0000-4000-8000-0000000000a3', 't150_matchmaker', '1.1.0', 'overlay', '15000000-0000-4000-8000-0000000000a1', '{"focus": ["dating", "empathy"], "tone": "playful"}', 'active', 50, 'canary');
insert into public.apps (app_id, slug, display_name, domain, personality_schema_id, is_active) values
  ('15000000-0000-4000-8000-0000000000b1', 't150_matchmaker', 'Hugo Matchmaker', 'dating', '15000000-0000-4000-8000-0000000000a2', true),
  ('15000000-0000-4000-8000-0000000000b2', 't150_retired', 'Hugo Retired', 'career', null, false);
insert into public.knowledge_bases (knowledge_base_id, slug, title, is_active) values
  ('15000000-0000-4000-8000-0000000000c1', 't150_code_v2', 'Intimacy Code', true),
  ('15000000-0000-4000-8000-0000000000c2', 't150_code_v1', 'Intimacy Code (old)', false);
insert into public.app_knowledge_bases (app_id, knowledge_base_id) values
  ('15000000-0000-4000-8000-0000000000b1', '15000000-0000-4000-8000-0000000000c1'),
  ('15000000-0000-4000-8000-0000000000b1', '15000000-0000-4000-8000-0000000000c2');
insert into public.user_progress (user_id, app_id, current_focus_area, progress_data) values
  ('15000000-0000-4000-8000-000000000001', '15000000-0000-4000-8000-0000000000b1', 'vulnerability', '{"principles_learned": [1, 3]}');

-- Alice has two matchmaker conversations (12 messages in all), a companion chat, and bob one chat.
insert into public.conversations (conversation_id, user_id, app_id, created_at) values
  ('15000000-0000-4000-8000-0000000000d1', '15000000-0000-4000-8000-000000000001', '15000000-0000-4000-8000-0000000000b1', now() - interval '2 days'),
  ('15000000-0000-4000-8000-0000000000d2', '15000000-0000-4000-8000-000000000001', '15000000-0000-4000-8000-0000000000b1', now() - interval '2 days'),
  ('15000000-0000-4000-8000-0000000000d3', '15000000-0000-4000-8000-000000000001', null, now() - interval '2 days'),
  ('15000000-0000-4000-8000-0000000000d4', '15000000-0000-4000-8000-000000000002', '15000000-0000-4000-8000-0000000000b1', now() - interval '2 days');
insert into public.messages (conversation_id, user_id, role, content, created_at)
select case when i <= 8 then '15000000-0000-4000-8000-0000000000d1'::uuid else '15000000-0000-4000-8000-0000000000d2'::uuid end,
       '15000000-0000-4000-8000-000000000001', case when i % 2 = 1 then 'user' else 'assistant' end,
       'message ' || i, now() - interval '1 day' + i * interval '1 minute'
from generate_series(1, 12) as i;
insert into public.messages (conversation_id, user_id, role, content, created_at) values
  ('15000000-0000-4000-8000-0000000000d3', '15000000-0000-4000-8000-000000000001', 'user', 'companion chat', now()),
  ('15000000-0000-4000-8000-0000000000d4', '15000000-0000-4000-8000-000000000002', 'user', 'bob''s message', now());

select ok(private.rollout_bucket('15000000-0000-4000-8000-000000000001', 't150_matchmaker') >= 50
          and private.rollout_bucket('15000000-0000-4000-8000-000000000003', 't150_matchmaker') < 50,
          'alice falls outside the 50% canary, carol inside it');
select is(private.rollout_bucket('15000000-0000-4000-8000-000000000001', 't150_matchmaker'),
          private.rollout_bucket('15000000-0000-4000-8000-000000000001', 't150_matchmaker'), 'buckets are stable');

set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '15000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

select is((select count(*)::integer from api.get_chat_context('t150_matchmaker')), 1, 'one row per app');
select is((select jsonb_path_query_array(recent_messages, '$[*].content') from api.get_chat_context('t150_matchmaker')),
          '["message 3", "message 4", "message 5", "message 6", "message 7", "message 8", "message 9", "message 10", "message 11", "message 12"]'::jsonb,
          'the last ten messages of the app''s conversations, oldest first');
select is((select jsonb_path_query_array(recent_messages, '$[*].content')
           from api.get_chat_context('t150_matchmaker', conversation => '15000000-0000-4000-8000-0000000000d1')),
          '["message 1", "message 2", "message 3", "message 4", "message 5", "message 6", "message 7", "message 8"]'::jsonb,
          'or of one conversation when given');
select is((select personality ->> 'version' from api.get_chat_context('t150_matchmaker')), '1.0.0',
          'alice gets the fully rolled-out personality');
select is((select personality -> 'schema' from api.get_chat_context('t150_matchmaker')),
          '{"tone": "warm", "constraints": ["no_medical_advice"], "focus": ["dating"]}'::jsonb,
          'an overlay comes merged on its base');
select is((select knowledge_bases from api.get_chat_context('t150_matchmaker')),
          '[{"slug": "t150_code_v2", "title": "Intimacy Code", "version": "1.0.0", "knowledge_base_id": "15000000-0000-4000-8000-0000000000c1"}]'::jsonb,
          'only the app''s active knowledge bases');
select is((select progress ->> 'current_focus_area' from api.get_chat_context('t150_matchmaker')), 'vulnerability',
          'the user''s progress comes along');
select is((select app_id from api.get_chat_context('15000000-0000-4000-8000-0000000000b1')),
          '15000000-0000-4000-8000-0000000000b1'::uuid, 'the app may be given by id');
select is_empty($$select * from api.get_chat_context('t150_retired')$$, 'an inactive app has no context');
select throws_ok($$select * from api.get_chat_context('t150_matchmaker', '15000000-0000-4000-8000-000000000002')$$,
                 '42501', null, 'nobody reads another user''s chat context');

select set_config('request.jwt.claims', json_build_object('sub', '15000000-0000-4000-8000-000000000003', 'role', 'authenticated')::text, true);
select results_eq($$select personality ->> 'version', personality ->> 'ab_test_group', personality -> 'schema' ->> 'tone',
                           recent_messages, progress
                    from api.get_chat_context('t150_matchmaker')$$,
                  $$values ('1.1.0'::text, 'canary'::text, 'playful'::text, '[]'::jsonb, null::jsonb)$$,
                  'carol gets the canary, no messages and no progress yet');

-- The server without claims may read any user's context.
reset role;
select set_config('request.jwt.claims', '', true);
set local role service_role;
select is((select jsonb_array_length(recent_messages) from api.get_chat_context('t150_matchmaker', '15000000-0000-4000-8000-000000000002')), 1,
          'the server reads bob''s context for bob');
reset role;

set local role anon;
select throws_ok($$select * from api.get_chat_context('t150_matchmaker', '15000000-0000-4000-8000-000000000001')$$,
                 '42501', null, 'anon cannot call it');
reset role;
select is((select prosecdef from pg_proc where oid = 'api.get_chat_context(text, uuid, uuid)'::regprocedure), false,
          'chat context runs with the caller''s rights (security invoker)');

select * from finish();
rollback;
