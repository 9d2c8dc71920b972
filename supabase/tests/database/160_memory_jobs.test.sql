-- The retention and decay jobs: decay, expiry and archive change exactly the rows they should,
-- batch by batch, and are scheduled in pg_cron.
begin;
create extension if not exists pgtap with schema extensions;
select plan(31);

insert into auth.users (id, email) values
  ('16000000-0000-4000-8000-000000000001', 'short@example.com'),
  ('16000000-0000-4000-8000-000000000002', 'medium@example.com'),
  ('16000000-0000-4000-8000-000000000003', 'long@example.com');
update public.profiles set data_retention_days = 60 where user_id = '16000000-0000-4000-8000-000000000001';
update public.profiles set data_retention_days = 200 where user_id = '16000000-0000-4000-8000-000000000002';
update public.profiles set data_retention_days = 730 where user_id = '16000000-0000-4000-8000-000000000003';

-- Decay: given memories of every kind.
insert into public.memories (memory_id, user_id, title, content, importance, decay_rate, created_at, last_accessed_at, last_decayed_at) values
  ('16000000-0000-4000-8000-0000000000a1', '16000000-0000-4000-8000-000000000001', 'unused 40 days', 'x', 0.50, 0.05, now() - interval '100 days', now() - interval '40 days', null),
  ('16000000-0000-4000-8000-0000000000a2', '16000000-0000-4000-8000-000000000001', 'used 10 days ago', 'x', 0.50, 0.05, now() - interval '100 days', now() - interval '10 days', null),
  ('16000000-0000-4000-8000-0000000000a3', '16000000-0000-4000-8000-000000000001', 'never used, old', 'x', 0.50, 0.10, now() - interval '40 days', null, null),
  ('16000000-0000-4000-8000-0000000000a4', '16000000-0000-4000-8000-000000000001', 'never used, new', 'x', 0.50, 0.05, now() - interval '5 days', null, null),
  ('16000000-0000-4000-8000-0000000000a5', '16000000-0000-4000-8000-000000000001', 'nearly gone', 'x', 0.03, 0.05, now() - interval '100 days', now() - interval '40 days', null),
  ('16000000-0000-4000-8000-0000000000a6', '16000000-0000-4000-8000-000000000001', 'gone', 'x', 0.00, 0.05, now() - interval '100 days', now() - interval '40 days', null),
  ('16000000-0000-4000-8000-0000000000a7', '16000000-0000-4000-8000-000000000001', 'decayed today', 'x', 0.50, 0.05, now() - interval '100 days', now() - interval '40 days', now() - interval '2 hours'),
  ('16000000-0000-4000-8000-0000000000a8', '16000000-0000-4000-8000-000000000001', 'never decays', 'x', 0.50, 0.00, now() - interval '100 days', now() - interval '40 days', null);
update public.memories set updated_at = created_at where user_id = '16000000-0000-4000-8000-000000000001';

-- Cursors start just below this file's ids, so other data in the database never enters a batch.
select results_eq($$select processed, last_memory_id from private.decay_memory_importance_batch(2, '15ffffff-ffff-ffff-ffff-ffffffffffff')$$,
                  $$values (1, '16000000-0000-4000-8000-0000000000a2'::uuid)$$,
                  'a decay batch scans the next batch_size keys, changes those due, and says where it stopped');
select results_eq($$select processed, last_memory_id from private.decay_memory_importance_batch(6, '16000000-0000-4000-8000-0000000000a2')$$,
                  $$values (2, '16000000-0000-4000-8000-0000000000a8'::uuid)$$,
                  'the next batch continues after it');
select results_eq($$select processed, last_memory_id from private.decay_memory_importance_batch(10, 'ffffffff-ffff-ffff-ffff-ffffffffffff')$$,
                  $$values (0, null::uuid)$$, 'a batch past the last key means done');
select results_eq(
  $$select memory_id, importance from public.memories where memory_id::text like '16000000-0000-4000-8000-0000000000a%' order by memory_id$$,
  $$values ('16000000-0000-4000-8000-0000000000a1'::uuid, 0.45::numeric(3,2)), ('16000000-0000-4000-8000-0000000000a2', 0.50),
           ('16000000-0000-4000-8000-0000000000a3', 0.40), ('16000000-0000-4000-8000-0000000000a4', 0.50),
           ('16000000-0000-4000-8000-0000000000a5', 0.00), ('16000000-0000-4000-8000-0000000000a6', 0.00),
           ('16000000-0000-4000-8000-0000000000a7', 0.50), ('16000000-0000-4000-8000-0000000000a8', 0.50)$$,
  'decay lowers by decay_rate exactly the memories unused for 30 days, never below 0, once a day');
select results_eq($$select processed from private.decay_memory_importance_batch(8, '15ffffff-ffff-ffff-ffff-ffffffffffff')$$, array[0],
                  'running decay again the same day changes nothing');
select is((select count(*)::integer from public.memory_history where user_id = '16000000-0000-4000-8000-000000000001'), 0,
          'decay is not an edit: no history');
select is((select count(*)::integer from public.memories where updated_at <> created_at and user_id = '16000000-0000-4000-8000-000000000001'), 0,
          'decay leaves updated_at alone');

-- Expiry: given an expired memory with history, one expiring tomorrow and one that never expires.
insert into public.memories (memory_id, user_id, title, content, created_at, expires_at) values
  ('16000000-0000-4000-8000-0000000000e1', '16000000-0000-4000-8000-000000000002', 'expired', 'x', now() - interval '400 days', now() - interval '1 day'),
  ('16000000-0000-4000-8000-0000000000e2', '16000000-0000-4000-8000-000000000002', 'expired too', 'x', '1900-01-01', '1900-01-02'),
  ('16000000-0000-4000-8000-0000000000e3', '16000000-0000-4000-8000-000000000002', 'tomorrow', 'x', now() - interval '400 days', now() + interval '1 day'),
  ('16000000-0000-4000-8000-0000000000e4', '16000000-0000-4000-8000-000000000002', 'forever', 'x', now() - interval '400 days', null);
update public.memories set content = 'edited' where memory_id = '16000000-0000-4000-8000-0000000000e1';

select is(private.expire_memories_batch(1), 1, 'an expiry batch removes at most batch_size memories');
select is((select count(*)::integer from public.memories where memory_id = '16000000-0000-4000-8000-0000000000e2'), 0,
          'the longest-expired goes first');
select cmp_ok(private.expire_memories_batch(100000), '>=', 1, 'the next batch removes the rest');
select is(private.expire_memories_batch(100000), 0, 'and then there is nothing to expire');
select results_eq($$select memory_id from public.memories where user_id = '16000000-0000-4000-8000-000000000002' order by memory_id$$,
                  $$values ('16000000-0000-4000-8000-0000000000e3'::uuid), ('16000000-0000-4000-8000-0000000000e4'::uuid)$$,
                  'memories not yet expired, or without expiry, stay');
select is((select count(*)::integer from public.memory_history where memory_id = '16000000-0000-4000-8000-0000000000e1'), 0,
          'expiry keeps no copy: the expired memory''s history goes too');
select is(current_setting('dotline.skip_memory_history', true), '', 'expiry leaves history recording on');

-- Archive: closed conversations against each owner's retention (60 days; 200 days -> 90; 730 days).
insert into public.conversations (conversation_id, user_id, status, created_at, closed_at) values
  ('16000000-0000-4000-8000-0000000000c1', '16000000-0000-4000-8000-000000000001', 'closed', now() - interval '800 days', now() - interval '61 days'),
  ('16000000-0000-4000-8000-0000000000c2', '16000000-0000-4000-8000-000000000001', 'closed', now() - interval '800 days', now() - interval '59 days'),
  ('16000000-0000-4000-8000-0000000000c3', '16000000-0000-4000-8000-000000000002', 'closed', now() - interval '800 days', now() - interval '91 days'),
  ('16000000-0000-4000-8000-0000000000c4', '16000000-0000-4000-8000-000000000002', 'closed', now() - interval '800 days', now() - interval '89 days'),
  ('16000000-0000-4000-8000-0000000000c5', '16000000-0000-4000-8000-000000000003', 'closed', now() - interval '800 days', now() - interval '400 days'),
  ('16000000-0000-4000-8000-0000000000c6', '16000000-0000-4000-8000-000000000003', 'closed', now() - interval '800 days', now() - interval '731 days'),
  ('16000000-0000-4000-8000-0000000000c7', '16000000-0000-4000-8000-000000000001', 'active', now() - interval '1000 days', null);
insert into public.messages (conversation_id, user_id, role, content) values
  ('16000000-0000-4000-8000-0000000000c1', '16000000-0000-4000-8000-000000000001', 'user', 'old chat');
insert into public.memories (memory_id, user_id, title, content, source_conversation_id) values
  ('16000000-0000-4000-8000-0000000000f1', '16000000-0000-4000-8000-000000000001', 'from an old chat', 'x', '16000000-0000-4000-8000-0000000000c1');

select results_eq($$select processed, last_conversation_id from private.archive_old_conversations_batch(2, '15ffffff-ffff-ffff-ffff-ffffffffffff')$$,
                  $$values (1, '16000000-0000-4000-8000-0000000000c2'::uuid)$$,
                  'an archive batch scans the next batch_size closed conversations in key order');
select results_eq($$select processed, last_conversation_id from private.archive_old_conversations_batch(4, '16000000-0000-4000-8000-0000000000c2')$$,
                  $$values (2, '16000000-0000-4000-8000-0000000000c6'::uuid)$$, 'the next batch continues after it');
select results_eq($$select conversation_id from public.conversations where conversation_id::text like '16000000-0000-4000-8000-0000000000c%' order by 1$$,
                  $$values ('16000000-0000-4000-8000-0000000000c2'::uuid), ('16000000-0000-4000-8000-0000000000c4'::uuid),
                           ('16000000-0000-4000-8000-0000000000c5'::uuid), ('16000000-0000-4000-8000-0000000000c7'::uuid)$$,
                  'closed conversations past the owner''s retention (capped at 90 days under a year) go; the rest stay');
select is((select count(*)::integer from public.messages where conversation_id = '16000000-0000-4000-8000-0000000000c1'), 0,
          'their messages go with them');
select results_eq($$select source_conversation_id from public.memories where memory_id = '16000000-0000-4000-8000-0000000000f1'$$,
                  $$values (null::uuid)$$, 'memories they produced stay, unlinked');
select is(private.closed_conversation_retention_days(30), 30, 'a 30-day retention keeps closed chats 30 days');
select is(private.closed_conversation_retention_days(364), 90, 'under a year, closed chats are kept 90 days at most');
select is(private.closed_conversation_retention_days(365), 365, 'from a year, closed chats are kept for the retention');

-- Inactivity close: coaching conversations idle for 30 days are closed; companion chats are not.
insert into public.apps (app_id, slug, display_name, domain) values
  ('16000000-0000-4000-8000-0000000000b1', 't160_career', 'Hugo Career', 'career');
insert into public.conversations (conversation_id, user_id, app_id, created_at, last_message_at) values
  ('16000000-0000-4000-8000-0000000000d1', '16000000-0000-4000-8000-000000000001', '16000000-0000-4000-8000-0000000000b1', now() - interval '100 days', now() - interval '31 days'),
  ('16000000-0000-4000-8000-0000000000d2', '16000000-0000-4000-8000-000000000001', '16000000-0000-4000-8000-0000000000b1', now() - interval '100 days', now() - interval '5 days'),
  ('16000000-0000-4000-8000-0000000000d3', '16000000-0000-4000-8000-000000000001', '16000000-0000-4000-8000-0000000000b1', now() - interval '31 days', null),
  ('16000000-0000-4000-8000-0000000000d4', '16000000-0000-4000-8000-000000000001', null, now() - interval '100 days', now() - interval '100 days');

select results_eq($$select processed, last_conversation_id
                    from private.close_inactive_conversations_batch(3, '16000000-0000-4000-8000-0000000000d0')$$,
                  $$values (2, '16000000-0000-4000-8000-0000000000d3'::uuid)$$,
                  'the close batch scans open coaching conversations and closes the idle ones');
select results_eq($$select conversation_id, status, closed_at from public.conversations
                    where conversation_id::text like '16000000-0000-4000-8000-0000000000d%' order by 1$$,
                  $$values ('16000000-0000-4000-8000-0000000000d1'::uuid, 'closed'::text, now()),
                           ('16000000-0000-4000-8000-0000000000d2'::uuid, 'active'::text, null::timestamptz),
                           ('16000000-0000-4000-8000-0000000000d3'::uuid, 'closed'::text, now()),
                           ('16000000-0000-4000-8000-0000000000d4'::uuid, 'active'::text, null::timestamptz)$$,
                  'a coaching conversation idle 30 days (or never used) is closed; recent ones and companion chats stay open');
select results_eq($$select processed from private.close_inactive_conversations_batch(1, '16000000-0000-4000-8000-0000000000d0')$$,
                  array[0], 'closing again changes nothing');
select results_eq($$select processed from private.archive_old_conversations_batch(2, '16000000-0000-4000-8000-0000000000d0')$$,
                  array[0], 'a just-closed conversation is kept for its retention');

-- Only the server runs jobs.
select ok(not has_function_privilege('authenticated', 'private.decay_memory_importance_batch(integer, uuid)', 'execute')
          and not has_function_privilege('authenticated', 'private.expire_memories_batch(integer)', 'execute')
          and not has_function_privilege('authenticated', 'private.archive_old_conversations_batch(integer, uuid)', 'execute')
          and not has_function_privilege('authenticated', 'private.close_inactive_conversations_batch(integer, uuid)', 'execute'),
          'signed-in users cannot run the job batches');
select is((select count(*)::integer from pg_catalog.pg_proc p
           where p.pronamespace = 'private'::regnamespace and p.prokind = 'p'),
          0, 'no job is a procedure: a batched job''s loop is its pg_cron command');

-- Schedules.
select is((select jsonb_agg(jsonb_build_array(jobname, schedule) order by jobname) from cron.job
           where jobname in ('close-inactive-conversations', 'archive-conversations', 'expire-memories', 'decay-memory-importance')),
          '[["archive-conversations", "0 2 * * *"],
            ["close-inactive-conversations", "30 1 * * *"],
            ["decay-memory-importance", "30 3 * * *"],
            ["expire-memories", "0 3 * * *"]]'::jsonb,
          'the four jobs are scheduled once each, by name');
select is((select jsonb_object_agg(jobname, command = private.batched_job_command(jobname, step)) from cron.job
           join (values
             ('close-inactive-conversations', 'select b.processed, b.last_conversation_id::text from private.close_inactive_conversations_batch(1000, v_after::uuid) as b'),
             ('archive-conversations', 'select b.processed, b.last_conversation_id::text from private.archive_old_conversations_batch(200, v_after::uuid) as b'),
             ('expire-memories', 'select n, case when n > 0 then '''' end from private.expire_memories_batch(1000) as n'),
             ('decay-memory-importance', 'select b.processed, b.last_memory_id::text from private.decay_memory_importance_batch(1000, v_after::uuid) as b')
           ) as steps (name, step) on steps.name = jobname),
          '{"archive-conversations": true, "close-inactive-conversations": true, "decay-memory-importance": true, "expire-memories": true}'::jsonb,
          'each runs its batch function through the batched-job command, at its batch size');
select is((select count(distinct username)::integer from cron.job
           where jobname in ('close-inactive-conversations', 'archive-conversations', 'expire-memories', 'decay-memory-importance')
             and active), 1,
          'the jobs are active and run as one owner');

select * from finish();
rollback;
