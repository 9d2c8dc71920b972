-- Memories: the unified memory_units / user_memories constraints, server-only importance and
-- decay fields, owner-only access, change history, default expiry from retention, access
-- counting, and erasure with the account.
begin;
create extension if not exists pgtap with schema extensions;
select plan(36);

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
  ('13000000-0000-4000-8000-000000000001', 'alice@example.com'),
  ('13000000-0000-4000-8000-000000000002', 'bob@example.com');
update public.profiles set data_retention_days = 60 where user_id = '13000000-0000-4000-8000-000000000001';
insert into public.apps (app_id, slug, display_name, domain) values
  ('13000000-0000-4000-8000-0000000000b1', 't130_career', 'Hugo Career', 'career');
insert into public.conversations (conversation_id, user_id) values
  ('13000000-0000-4000-8000-0000000000c2', '13000000-0000-4000-8000-000000000002');
insert into public.memories (memory_id, user_id, title, content) values
  ('13000000-0000-4000-8000-0000000000f2', '13000000-0000-4000-8000-000000000002', 'Bob''s secret', 'Only Bob knows.');

-- Constraints (as the server).
select throws_ok($$insert into public.memories (user_id, title, content) values ('13000000-0000-4000-8000-000000000001', 'T', ' ')$$,
                 '23514', null, 'a memory needs content');
select throws_ok($$insert into public.memories (user_id, content) values ('13000000-0000-4000-8000-000000000001', 'untitled')$$,
                 '23514', null, 'a companion memory (no app) needs a title, as memory_units did');
select throws_ok($$insert into public.memories (user_id, app_id, memory_type, content)
                   values ('13000000-0000-4000-8000-000000000001', '13000000-0000-4000-8000-0000000000b1', 'gossip', 'x')$$,
                 '23514', null, 'a coaching memory has one of the seed''s memory types');
select throws_ok($$insert into public.memories (user_id, title, content, importance) values ('13000000-0000-4000-8000-000000000001', 'T', 'C', 1.5)$$,
                 '23514', null, 'importance above 1 is rejected');
select throws_ok($$insert into public.memories (user_id, title, content, decay_rate) values ('13000000-0000-4000-8000-000000000001', 'T', 'C', -0.01)$$,
                 '23514', null, 'a negative decay rate is rejected');
select throws_ok($$insert into public.memories (user_id, title, content, sentiment_score) values ('13000000-0000-4000-8000-000000000001', 'T', 'C', 2)$$,
                 '23514', null, 'sentiment outside -1..1 is rejected');
select throws_ok($$insert into public.memories (user_id, title, content, expires_at) values ('13000000-0000-4000-8000-000000000001', 'T', 'C', now() - interval '1 day')$$,
                 '23514', null, 'a memory cannot expire before it was stored');
select throws_ok($$insert into public.memories (user_id, title, content, people) values ('13000000-0000-4000-8000-000000000001', 'T', 'C', '["Ann"]')$$,
                 '23514', null, 'people is an array of objects');
select throws_ok($$insert into public.memories (user_id, title, content, source_conversation_id)
                   values ('13000000-0000-4000-8000-000000000001', 'T', 'C', '13000000-0000-4000-8000-0000000000c2')$$,
                 '23503', null, 'a memory cannot cite someone else''s conversation');

-- As alice.
set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '13000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

select lives_ok($$insert into public.memories (memory_id, title, content, tags, people)
                  values ('13000000-0000-4000-8000-0000000000f1', 'First job', 'I started at the bakery.', '{work}', '[{"name": "Ann"}]')$$,
                'the owner writes a memory');
select lives_ok($$insert into public.memories (memory_id, app_id, memory_type, content)
                  values ('13000000-0000-4000-8000-0000000000f3', '13000000-0000-4000-8000-0000000000b1', 'user_preference', 'Prefers short answers.')$$,
                'the owner writes a coaching memory');
select is((select expires_at from public.memories where memory_id = '13000000-0000-4000-8000-0000000000f3'),
          now() + interval '60 days', 'a coaching memory expires after the owner''s retention by default');
select is((select expires_at from public.memories where memory_id = '13000000-0000-4000-8000-0000000000f1'), null,
          'a companion memory does not expire by default');
select is((select importance from public.memories where memory_id = '13000000-0000-4000-8000-0000000000f1'), 0.50::numeric(3,2),
          'importance starts at 0.5');
select throws_ok($$insert into public.memories (title, content, importance) values ('T', 'C', 1)$$,
                 '42501', null, 'a person cannot set importance');
select throws_ok($$update public.memories set importance = 1$$, '42501', null, 'a person cannot raise importance');
select throws_ok($$update public.memories set decay_rate = 0$$, '42501', null, 'a person cannot stop decay');
select throws_ok($$update public.memories set access_count = 99, last_accessed_at = now()$$, '42501', null,
                 'a person cannot fake access');
select throws_ok($$insert into public.memories (user_id, title, content) values ('13000000-0000-4000-8000-000000000002', 'T', 'C')$$,
                 '42501', null, 'a person cannot write a memory for someone else');
select is(pg_temp.affected($$update public.memories set content = 'I started at the bakery in 2009.'
                             where memory_id = '13000000-0000-4000-8000-0000000000f1'$$), 1, 'the owner edits a memory');
select results_eq($$select operation, old_values ->> 'content', changed_columns from public.memory_history
                    where memory_id = '13000000-0000-4000-8000-0000000000f1'$$,
                  $$values ('UPDATE'::text, 'I started at the bakery.'::text, array['content']::text[])$$,
                  'an edit keeps the previous version in memory_history');
select is(private.record_memory_access(array['13000000-0000-4000-8000-0000000000f1', '13000000-0000-4000-8000-0000000000f2']::uuid[]), 1,
          'recording access touches only the caller''s memories');
select results_eq($$select access_count, last_accessed_at from public.memories where memory_id = '13000000-0000-4000-8000-0000000000f1'$$,
                  $$values (1, now())$$, 'an access is counted and stamped');
select is((select count(*)::integer from public.memory_history where memory_id = '13000000-0000-4000-8000-0000000000f1'), 1,
          'an access is not an edit: no history row');
select throws_ok($$insert into public.memory_history (memory_id, user_id, operation, old_values)
                   values ('13000000-0000-4000-8000-0000000000f1', '13000000-0000-4000-8000-000000000001', 'UPDATE', '{}')$$,
                 '42501', null, 'history cannot be forged');
select is(pg_temp.affected($$delete from public.memories where memory_id = '13000000-0000-4000-8000-0000000000f3'$$), 1,
          'the owner deletes a memory');
select is((select operation from public.memory_history where memory_id = '13000000-0000-4000-8000-0000000000f3'), 'DELETE',
          'a deletion keeps the last version in memory_history');
select is((select count(*)::integer from public.memories), 1, 'the owner sees only their memories');
select is(pg_temp.affected($$update public.memories set content = 'hacked' where memory_id = '13000000-0000-4000-8000-0000000000f2'$$), 0,
          'another user cannot edit a memory');
select is(pg_temp.affected($$delete from public.memories where memory_id = '13000000-0000-4000-8000-0000000000f2'$$), 0,
          'another user cannot delete a memory');

-- As bob: alice's memories and history are invisible.
select set_config('request.jwt.claims', json_build_object('sub', '13000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);
select is((select count(*)::integer from public.memories where user_id = '13000000-0000-4000-8000-000000000001'), 0,
          'another user reads none of alice''s memories');
select is((select count(*)::integer from public.memory_history), 0, 'another user reads none of alice''s history');

reset role;
set local role anon;
select throws_ok($$select * from public.memories$$, '42501', null, 'anon cannot read memories');
select throws_ok($$select * from public.memory_history$$, '42501', null, 'anon cannot read memory history');
reset role;

-- Erasing alice's account erases her memories and their history.
select lives_ok($$delete from auth.users where id = '13000000-0000-4000-8000-000000000001'$$, 'an account with memories can be erased');
select is((select count(*)::integer from public.memory_history where user_id = '13000000-0000-4000-8000-000000000001'), 0,
          'erasure leaves no memory history behind');

select * from finish();
rollback;
