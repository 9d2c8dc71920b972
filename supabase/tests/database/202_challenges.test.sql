-- Challenges: template and instance checks; people start and abandon, the server completes.
begin;
create extension if not exists pgtap with schema extensions;
select plan(21);

insert into auth.users (id, email) values
  ('20200000-0000-0000-0000-0000000000a1', 'ch-a@example.com'),
  ('20200000-0000-0000-0000-0000000000b1', 'ch-b@example.com');

select throws_ok(
  $$insert into public.challenge_templates (name, difficulty) values ('x', 'legendary')$$,
  '23514', null, 'difficulty outside easy/medium/hard is rejected');
select throws_ok(
  $$insert into public.challenge_templates (name, dim_keys) values ('x', array['self_know', 'self_feel'])$$,
  '23514', null, 'dim_keys outside the six dimensions are rejected');

insert into public.challenge_templates (challenge_template_id, name, dim_keys, difficulty, is_active) values
  ('20200000-0000-0000-0000-00000000f001', '30-day journal', array['self_know', 'self_show'], 'hard', true),
  ('20200000-0000-0000-0000-00000000f002', 'retired', '{}', 'easy', false);

select throws_ok(
  $$insert into public.user_challenges (user_id, challenge_template_id, started_at, due_at)
    values ('20200000-0000-0000-0000-0000000000a1', '20200000-0000-0000-0000-00000000f001', now(), now() - interval '1 day')$$,
  '23514', null, 'due_at must be after started_at');
select throws_ok(
  $$insert into public.user_challenges (user_id, challenge_template_id, status)
    values ('20200000-0000-0000-0000-0000000000a1', '20200000-0000-0000-0000-00000000f001', 'paused')$$,
  '23514', null, 'status outside active/completed/expired/abandoned is rejected');
select throws_ok(
  $$insert into public.user_challenges (user_id, challenge_template_id, status)
    values ('20200000-0000-0000-0000-0000000000a1', '20200000-0000-0000-0000-00000000f001', 'completed')$$,
  '23514', null, 'a completed challenge needs completed_at');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20200000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select is((select count(*)::integer from public.challenge_templates
           where challenge_template_id in ('20200000-0000-0000-0000-00000000f001', '20200000-0000-0000-0000-00000000f002')),
          1, 'only active templates are listed');
select lives_ok(
  $$insert into public.user_challenges (user_challenge_id, user_id, challenge_template_id, due_at)
    values ('20200000-0000-0000-0000-00000000aa01', '20200000-0000-0000-0000-0000000000a1',
            '20200000-0000-0000-0000-00000000f001', now() + interval '30 days')$$,
  'a person starts a challenge from an active template');
select throws_ok(
  $$insert into public.user_challenges (user_id, challenge_template_id)
    values ('20200000-0000-0000-0000-0000000000a1', '20200000-0000-0000-0000-00000000f002')$$,
  '42501', null, 'a retired template cannot be started');
select throws_ok(
  $$insert into public.user_challenges (user_id, challenge_template_id)
    values ('20200000-0000-0000-0000-0000000000b1', '20200000-0000-0000-0000-00000000f001')$$,
  '42501', null, 'nobody starts a challenge for someone else');
select throws_ok(
  $$insert into public.user_challenges (user_id, challenge_template_id, progress)
    values ('20200000-0000-0000-0000-0000000000a1', '20200000-0000-0000-0000-00000000f001', '{"days_logged": 30}')$$,
  '42501', null, 'progress is server-only');
select throws_ok(
  $$update public.user_challenges set status = 'completed', completed_at = now()
    where user_challenge_id = '20200000-0000-0000-0000-00000000aa01'$$,
  '42501', null, 'a person cannot set completed_at');
select throws_ok(
  $$update public.user_challenges set status = 'expired' where user_challenge_id = '20200000-0000-0000-0000-00000000aa01'$$,
  '42501', null, 'a person cannot complete or expire a challenge');
select lives_ok(
  $$update public.user_challenges set status = 'abandoned' where user_challenge_id = '20200000-0000-0000-0000-00000000aa01'$$,
  'a person abandons an active challenge');
select is_empty(
  $$update public.user_challenges set status = 'active' where user_challenge_id = '20200000-0000-0000-0000-00000000aa01' returning 1$$,
  'an abandoned challenge stays abandoned');
select throws_ok(
  $$update public.challenge_templates set difficulty = 'easy'$$,
  '42501', null, 'templates are not editable by clients');
select throws_ok(
  $$insert into public.challenge_templates (name) values ('mine')$$,
  '42501', null, 'a non-admin cannot create a template');
select is_empty(
  $$update public.challenge_templates set is_active = false returning 1$$,
  'a non-admin cannot retire a template');

-- Versions (20261209160000): a retired version stays readable by whoever runs a challenge of it.
reset role;
update public.challenge_templates set is_active = false
where challenge_template_id = '20200000-0000-0000-0000-00000000f001';
set local role authenticated;
select is((select count(*)::integer from public.challenge_templates
           where challenge_template_id = '20200000-0000-0000-0000-00000000f001'),
          1, 'a retired version stays readable by whoever has a challenge of it');
select set_config('request.jwt.claims',
  json_build_object('sub', '20200000-0000-0000-0000-0000000000b1', 'role', 'authenticated')::text, true);
select is((select count(*)::integer from public.challenge_templates
           where challenge_template_id = '20200000-0000-0000-0000-00000000f001'),
          0, 'nobody else reads a retired version');
select set_config('request.jwt.claims',
  json_build_object('sub', '20200000-0000-0000-0000-0000000000b1', 'role', 'authenticated',
                    'app_metadata', json_build_object('role', 'admin'))::text, true);
select lives_ok(
  $$insert into public.challenge_templates (name, version, previous_version_id)
    values ('30-day journal', 2, '20200000-0000-0000-0000-00000000f001')$$,
  'an admin writes a new version');
select throws_ok(
  $$insert into public.challenge_templates (name, version, previous_version_id)
    values ('30-day journal again', 2, '20200000-0000-0000-0000-00000000f001')$$,
  '23505', null, 'a version is replaced once');

reset role;
select * from finish();
rollback;
