-- Challenge expiry: overdue active challenges expire in batches; others are left alone; the
-- job is scheduled and only the server may run it.
begin;
create extension if not exists pgtap with schema extensions;
select plan(10);

insert into auth.users (id, email) values
  ('40000000-0000-0000-0000-0000000000a1', 'expiry-a@example.com');
insert into public.challenge_templates (challenge_template_id, name, dim_keys) values
  ('40000000-0000-0000-0000-00000000f001', 'expiry test', array['self_act']);

-- Three overdue, one due tomorrow, one without a due date, one overdue but already completed.
insert into public.user_challenges
  (user_challenge_id, user_id, challenge_template_id, status, started_at, due_at, completed_at) values
  ('40000000-0000-0000-0000-000000000c01', '40000000-0000-0000-0000-0000000000a1', '40000000-0000-0000-0000-00000000f001', 'active', now() - interval '3 days', now() - interval '1 day', null),
  ('40000000-0000-0000-0000-000000000c02', '40000000-0000-0000-0000-0000000000a1', '40000000-0000-0000-0000-00000000f001', 'active', now() - interval '3 days', now() - interval '2 days', null),
  ('40000000-0000-0000-0000-000000000c03', '40000000-0000-0000-0000-0000000000a1', '40000000-0000-0000-0000-00000000f001', 'active', now() - interval '3 days', now() - interval '1 hour', null),
  ('40000000-0000-0000-0000-000000000c04', '40000000-0000-0000-0000-0000000000a1', '40000000-0000-0000-0000-00000000f001', 'active', now() - interval '3 days', now() + interval '1 day', null),
  ('40000000-0000-0000-0000-000000000c05', '40000000-0000-0000-0000-0000000000a1', '40000000-0000-0000-0000-00000000f001', 'active', now() - interval '3 days', null, null),
  ('40000000-0000-0000-0000-000000000c06', '40000000-0000-0000-0000-0000000000a1', '40000000-0000-0000-0000-00000000f001', 'completed', now() - interval '3 days', now() - interval '1 day', now() - interval '2 days');

-- At least these three rows are overdue, so a call capped at 2 × 1 expires exactly two. Other
-- overdue rows in the database may be expired too; later counts look at this user's rows only.
select is(
  (private.expire_overdue_challenges(2, 1) ->> 'rows_expired')::integer, 2,
  'one call expires at most p_batch_size × p_max_batches rows');
select lives_ok(
  $$select private.expire_overdue_challenges()$$,
  'a second call continues where the first stopped');
select is(
  (select count(*)::integer from public.user_challenges
   where user_id = '40000000-0000-0000-0000-0000000000a1' and status = 'expired'),
  3, 'every overdue active challenge is expired');
select is(
  (select status from public.user_challenges where user_challenge_id = '40000000-0000-0000-0000-000000000c04'),
  'active', 'a challenge due tomorrow stays active');
select is(
  (select status from public.user_challenges where user_challenge_id = '40000000-0000-0000-0000-000000000c05'),
  'active', 'a challenge without a due date stays active');
select is(
  (select status from public.user_challenges where user_challenge_id = '40000000-0000-0000-0000-000000000c06'),
  'completed', 'a completed challenge is never expired');
select is(
  (private.expire_overdue_challenges() ->> 'rows_expired')::integer, 0,
  'running it again expires nothing more');

select is(
  (select schedule from cron.job where jobname = 'expire-challenges'),
  '*/5 * * * *', 'the expiry job is scheduled every five minutes');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '40000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);
select throws_ok(
  $$select private.expire_overdue_challenges()$$,
  '42501', null, 'a signed-in user may not run the expiry job');
reset role;

set local role service_role;
select lives_ok($$select private.expire_overdue_challenges()$$, 'the server may run the expiry job');

select * from finish();
rollback;
