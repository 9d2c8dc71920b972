-- Behaviour events: monthly partitions kept ahead, RLS on the parent, sealed partitions, rows
-- in the default partition moved into a new month, and client writes limited to logging.
begin;
create extension if not exists pgtap with schema extensions;
select plan(17);

insert into auth.users (id, email) values
  ('20400000-0000-0000-0000-0000000000a1', 'be-a@example.com'),
  ('20400000-0000-0000-0000-0000000000b1', 'be-b@example.com');

select is((select relkind::text from pg_class where oid = 'public.behaviour_events'::regclass), 'p',
  'behaviour_events is partitioned');
select ok((select relrowsecurity from pg_class where oid = 'public.behaviour_events'::regclass),
  'RLS is enabled on the parent');

select is(private.ensure_behaviour_event_partitions(6), 3,
  'upkeep creates the missing months up to six ahead (the migration made three)');
select ok(to_regclass(format('private.behaviour_events_p%s',
            to_char(date_trunc('month', now() at time zone 'UTC') + interval '6 months', 'YYYY_MM'))) is not null,
  'the partition six months ahead exists');
select is(private.ensure_behaviour_event_partitions(6), 0, 'upkeep is idempotent');

select is(
  (select count(*)::integer from pg_inherits i join pg_class c on c.oid = i.inhrelid
   join pg_namespace n on n.oid = c.relnamespace
   where i.inhparent = 'public.behaviour_events'::regclass and n.nspname <> 'private'),
  0, 'every partition lives in the private schema');
select is(
  (select count(*)::integer from pg_inherits i join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'public.behaviour_events'::regclass
     and (not c.relrowsecurity
          or has_table_privilege('authenticated', c.oid, 'select, insert, update, delete')
          or has_table_privilege('anon', c.oid, 'select, insert, update, delete'))),
  0, 'every partition has RLS on and no grants for anon or authenticated');

-- a row far in the future lands in the default partition and moves when its month is created
insert into public.behaviour_events (user_id, event_type, created_at)
values ('20400000-0000-0000-0000-0000000000a1', 'view', date_trunc('month', now()) + interval '2 years 5 days');
select is((select count(*)::integer from private.behaviour_events_default where user_id = '20400000-0000-0000-0000-0000000000a1'), 1, 'an out-of-range row goes to the default partition');
select lives_ok(
  $$select private.ensure_behaviour_event_partitions(0, (date_trunc('month', now()) + interval '2 years')::date)$$,
  'creating the partition for that month succeeds');
select is((select count(*)::integer from private.behaviour_events_default where user_id = '20400000-0000-0000-0000-0000000000a1'), 0, 'the row left the default partition');
select is((select count(*)::integer from public.behaviour_events where user_id = '20400000-0000-0000-0000-0000000000a1'), 1, 'and is still there, in its month');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20400000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select lives_ok(
  $$insert into public.behaviour_events (user_id, event_type, target_entity_id, target_entity_type, duration_seconds, context)
    values ('20400000-0000-0000-0000-0000000000a1', 'view', gen_random_uuid(), 'article', 180, '{"source": "timeline"}')$$,
  'a person logs their own event');
select throws_ok(
  $$insert into public.behaviour_events (user_id, event_type) values ('20400000-0000-0000-0000-0000000000b1', 'view')$$,
  '42501', null, 'nobody logs events as someone else');
select throws_ok(
  $$insert into public.behaviour_events (user_id, event_type, created_at)
    values ('20400000-0000-0000-0000-0000000000a1', 'view', now() - interval '3 years')$$,
  '42501', null, 'clients cannot backdate events');
select throws_ok(
  $$select count(*) from private.behaviour_events_default$$,
  '42501', null, 'partitions cannot be read around the parent');
select throws_ok(
  $$update public.behaviour_events set event_type = 'edit'$$,
  '42501', null, 'clients cannot change events');

reset role;
select throws_ok(
  $$insert into public.behaviour_events (user_id, event_type, duration_seconds) values ('20400000-0000-0000-0000-0000000000a1', 'view', -1)$$,
  '23514', null, 'a negative duration is rejected');

select * from finish();
rollback;
