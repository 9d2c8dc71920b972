-- Conversations and messages: constraints, the message_count trigger, server-only AI metadata,
-- assistant turns only through the server, and owner-only access.
begin;
create extension if not exists pgtap with schema extensions;
select plan(34);

create function pg_temp.affected(statement text) returns integer
language plpgsql as $$
declare n integer;
begin
  execute statement;
  get diagnostics n = row_count;
  return n;
end;
$$;

insert into auth.users (id, email) values
  ('12000000-0000-4000-8000-000000000001', 'alice@example.com'),
  ('12000000-0000-4000-8000-000000000002', 'bob@example.com');
insert into public.apps (app_id, slug, display_name, domain) values
  ('12000000-0000-4000-8000-0000000000b1', 't120_matchmaker', 'Hugo Matchmaker', 'dating');
insert into public.conversations (conversation_id, user_id, app_id, session_id, created_at, started_at) values
  ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000001', '12000000-0000-4000-8000-0000000000b1',
   '12000000-0000-4000-8000-0000000000e1', now() - interval '1 hour', now() - interval '1 hour'),
  ('12000000-0000-4000-8000-0000000000c2', '12000000-0000-4000-8000-000000000002', null, null, now(), now());

-- Conversation constraints.
select throws_ok($$insert into public.conversations (user_id, status) values ('12000000-0000-4000-8000-000000000001', 'paused')$$,
                 '23514', null, 'an unknown conversation status is rejected');
select throws_ok($$insert into public.conversations (user_id, created_at, closed_at, status)
                   values ('12000000-0000-4000-8000-000000000001', now(), now() - interval '1 day', 'closed')$$,
                 '23514', null, 'closed_at cannot precede created_at');
select throws_ok($$insert into public.conversations (user_id, status) values ('12000000-0000-4000-8000-000000000001', 'closed')$$,
                 '23514', null, 'a closed conversation needs closed_at');
select throws_ok($$insert into public.conversations (user_id, started_at, ended_at)
                   values ('12000000-0000-4000-8000-000000000001', now(), now() - interval '1 minute')$$,
                 '23514', null, 'ended_at cannot precede started_at');
select throws_ok($$insert into public.conversations (user_id, session_id)
                   values ('12000000-0000-4000-8000-000000000001', '12000000-0000-1000-8000-0000000000e9')$$,
                 '23514', null, 'session_id must be a UUIDv4');
select throws_ok($$insert into public.conversations (user_id, session_id)
                   values ('12000000-0000-4000-8000-000000000001', '12000000-0000-4000-8000-0000000000e1')$$,
                 '23505', null, 'a session_id is used once per user (idempotent create)');
select lives_ok($$insert into public.conversations (user_id, session_id)
                  values ('12000000-0000-4000-8000-000000000002', '12000000-0000-4000-8000-0000000000e1')$$,
                'another user may happen to use the same session_id');
select throws_ok($$insert into public.conversations (user_id, message_count) values ('12000000-0000-4000-8000-000000000001', -1)$$,
                 '23514', null, 'message_count cannot be negative');
select throws_ok($$insert into public.conversations (user_id, title) values ('12000000-0000-4000-8000-000000000001', '')$$,
                 '23514', null, 'a title cannot be empty');

-- Message constraints.
select throws_ok($$insert into public.messages (conversation_id, user_id, role, content)
                   values ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000001', 'coach', 'hi')$$,
                 '23514', null, 'a role other than user/assistant/system is rejected');
select throws_ok($$insert into public.messages (conversation_id, user_id, role, content)
                   values ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000001', 'user', '   ')$$,
                 '23514', null, 'message content cannot be blank');
select throws_ok($$insert into public.messages (conversation_id, user_id, role, content, confidence_score)
                   values ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000001', 'assistant', 'ok', 1.5)$$,
                 '23514', null, 'confidence above 1 is rejected');
select throws_ok($$insert into public.messages (conversation_id, user_id, role, content, confidence_score)
                   values ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000001', 'assistant', 'ok', -0.1)$$,
                 '23514', null, 'confidence below 0 is rejected');
select throws_ok($$insert into public.messages (conversation_id, user_id, role, content, tokens_used)
                   values ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000001', 'assistant', 'ok', 0)$$,
                 '23514', null, 'an assistant turn that used tokens used more than zero');
select throws_ok($$insert into public.messages (conversation_id, user_id, role, content)
                   values ('12000000-0000-4000-8000-0000000000c1', '12000000-0000-4000-8000-000000000002', 'user', 'hi')$$,
                 '23503', null, 'a message belongs to its conversation''s owner');

-- As alice.
set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '12000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

select lives_ok($$insert into public.messages (conversation_id, role, content)
                  values ('12000000-0000-4000-8000-0000000000c1', 'user', 'Hello Hugo')$$,
                'the owner writes their turn');
select throws_ok($$insert into public.messages (conversation_id, role, content)
                   values ('12000000-0000-4000-8000-0000000000c1', 'assistant', 'I am the coach, trust me')$$,
                 '42501', null, 'a person cannot write an assistant turn');
select throws_ok($$insert into public.messages (conversation_id, role, content, model, tokens_used)
                   values ('12000000-0000-4000-8000-0000000000c1', 'user', 'hi', 'gpt-4', 10)$$,
                 '42501', null, 'a person cannot set AI metadata');
select lives_ok($$select private.record_assistant_message('12000000-0000-4000-8000-0000000000c1', 'Hello! How are you?',
                  model => 'gpt-4', confidence_score => 0.9, tokens_used => 42, generation_time_ms => 800,
                  llm_call_metadata => '{"provider": "openai"}')$$,
                'the server stores the assistant turn with its metadata');
select throws_ok($$select private.record_assistant_message('12000000-0000-4000-8000-0000000000c2', 'Injected reply')$$,
                 'P0002', null, 'nobody can store an assistant turn in someone else''s conversation');
select results_eq($$select role, model, tokens_used from public.messages order by created_at$$,
                  $$values ('user'::text, null::text, null::integer), ('assistant', 'gpt-4', 42)$$,
                  'the owner reads their turns');
select is((select message_count from public.conversations where conversation_id = '12000000-0000-4000-8000-0000000000c1'), 2,
          'message_count follows inserts');
select isnt((select last_message_at from public.conversations where conversation_id = '12000000-0000-4000-8000-0000000000c1'), null,
            'last_message_at follows inserts');
select throws_ok($$update public.conversations set message_count = 100$$, '42501', null,
                 'a person cannot set message_count');
select throws_ok($$update public.conversations set importance_score = 1$$, '42501', null,
                 'a person cannot set importance_score');
select throws_ok($$update public.messages set content = 'rewritten'$$, '42501', null,
                 'turns are not edited after the fact');
select is(pg_temp.affected($$update public.conversations set title = 'Mine now'
                             where conversation_id = '12000000-0000-4000-8000-0000000000c2'$$), 0,
          'a person cannot edit someone else''s conversation');
select is((select count(*)::integer from public.conversations), 1, 'a person sees only their conversations');
select throws_ok($$insert into public.conversations (user_id) values ('12000000-0000-4000-8000-000000000002')$$,
                 '42501', null, 'a person cannot create a conversation for someone else');
select is(pg_temp.affected($$delete from public.messages where role = 'user'$$), 1, 'the owner deletes a turn');
select is((select message_count from public.conversations where conversation_id = '12000000-0000-4000-8000-0000000000c1'), 1,
          'message_count follows deletes');

-- As bob: alice's conversation and messages are invisible and untouchable.
select set_config('request.jwt.claims', json_build_object('sub', '12000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);
select is((select count(*)::integer from public.messages), 0, 'another user reads none of alice''s messages');
select is(pg_temp.affected($$delete from public.conversations where conversation_id = '12000000-0000-4000-8000-0000000000c1'$$), 0,
          'another user cannot delete alice''s conversation');

-- As anon.
reset role;
set local role anon;
select throws_ok($$select * from public.messages$$, '42501', null, 'anon cannot read messages');
reset role;

select * from finish();
rollback;
