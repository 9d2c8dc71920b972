-- Profiles: created by the auth trigger, readable and editable only by their owner, with the
-- server-only columns out of a client's reach.
begin;
create extension if not exists pgtap with schema extensions;
select plan(14);

select has_table('public', 'profiles', 'profiles exists');
select is((select relrowsecurity from pg_class where oid = 'public.profiles'::regclass), true,
  'RLS is enabled on profiles');
select policies_are('public', 'profiles',
  array['Profiles are readable by their owner', 'Profiles are editable by their owner'],
  'profiles has exactly the owner policies');
select table_privs_are('public', 'profiles', 'anon', array[]::text[], 'anon has no privileges on profiles');

insert into auth.users (id, email, raw_user_meta_data)
values ('00000000-0000-4000-8000-0000000000a1', 'owner@example.com', '{"display_name": "Owner"}'),
       ('00000000-0000-4000-8000-0000000000b2', 'other@example.com', '{}');

select results_eq(
  $$select email, display_name from public.profiles where user_id = '00000000-0000-4000-8000-0000000000a1'$$,
  $$values ('owner@example.com'::text, 'Owner'::text)$$,
  'the auth trigger creates the profile from the new user');

-- As the other user.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-0000000000b2", "role": "authenticated"}', true);

select is_empty(
  $$select 1 from public.profiles where user_id = '00000000-0000-4000-8000-0000000000a1'$$,
  'another user cannot read the profile');
select is_empty(
  $$update public.profiles set display_name = 'x' where user_id = '00000000-0000-4000-8000-0000000000a1' returning 1$$,
  'another user cannot change the profile');
select results_eq($$select count(*)::int from public.profiles$$, $$values (1)$$,
  'a user sees exactly one profile: their own');

-- As the owner.
select set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select lives_ok(
  $$update public.profiles set timezone = 'Asia/Tokyo', data_retention_days = 30 where user_id = '00000000-0000-4000-8000-0000000000a1'$$,
  'the owner changes what a person may set');
select throws_ok(
  $$update public.profiles set subscription_tier = 'enterprise'$$, '42501', null,
  'the owner cannot set their own subscription tier');
select throws_ok(
  $$update public.profiles set growth_profile = '{"self_know": 9}'$$, '42501', null,
  'the owner cannot write their growth profile');
select throws_ok(
  $$update public.profiles set data_retention_days = 29$$, '23514', null,
  'retention under 30 days is refused');
select throws_ok(
  $$update public.profiles set timezone = 'Mars/Olympus'$$, '23514', null,
  'an unknown time zone is refused');

reset role;
set local role anon;
select throws_ok($$select 1 from public.profiles$$, '42501', null, 'anon cannot read profiles');
reset role;

select * from finish();
rollback;
