-- Persona analysis in SQL: the statistics read parts of the day in the person's time zone and
-- only their rows; anonymisation blanks exactly the opted-out and deleted; who may call what;
-- suggestion keys; A/B arm scores.
begin;
create extension if not exists pgtap with schema extensions;
select plan(19);

insert into auth.users (id, email) values
  ('55000000-0000-4000-8000-000000000001', 'persona-a@example.com'),
  ('55000000-0000-4000-8000-000000000002', 'persona-b@example.com'),
  ('55000000-0000-4000-8000-000000000003', 'persona-c@example.com');
update public.profiles set timezone = 'Asia/Tokyo' where user_id = '55000000-0000-4000-8000-000000000001';

-- Two mornings and one evening in Tokyo for A (the mornings are night in UTC); B's rows must not count.
insert into public.behaviour_events (user_id, event_type, target_entity_type, duration_seconds, context, occurred_at)
select '55000000-0000-4000-8000-000000000001', 'view', kind, 60, '{"tags": ["python"]}',
       ((date_trunc('day', now() at time zone 'Asia/Tokyo') - interval '1 day' + make_interval(hours => h))
         at time zone 'Asia/Tokyo')
from (values (8, 'article'), (9, 'article'), (19, 'video')) as e(h, kind);
insert into public.behaviour_events (user_id, event_type, target_entity_type)
values ('55000000-0000-4000-8000-000000000002', 'view', 'article');
insert into public.memories (user_id, title, content, tags) values
  ('55000000-0000-4000-8000-000000000001', 'A', 'Content', '{python,cooking}'),
  ('55000000-0000-4000-8000-000000000001', 'A2', 'Content', '{Cooking," COOKING "}'),
  ('55000000-0000-4000-8000-000000000002', 'B', 'Content', '{gardening}');

create temporary table stats as
select private.persona_statistics('55000000-0000-4000-8000-000000000001') as s;

select is((select s -> 'part_of_day' from stats),
          '{"morning": 2, "afternoon": 0, "evening": 1, "night": 0}'::jsonb,
          'parts of the day are read in the person''s time zone');
select is((select s #>> '{events,count}' from stats), '3', 'only the person''s own events are counted');
select is((select s -> 'tags' -> 0 ->> 'tag' from stats), 'python', 'events and memories both count as tag evidence');
select is((select (s -> 'tags' -> 0 ->> 'events')::int + (s -> 'tags' -> 0 ->> 'memories')::int from stats), 4,
          'a tag''s evidence is its events plus its memories');
select is((select (t ->> 'memories')::int from stats, jsonb_array_elements(s -> 'tags') t where t ->> 'tag' = 'cooking'), 2,
          'a memory counts once for a tag however it spells it');
select ok(not exists (select 1 from stats, jsonb_array_elements(s -> 'tags') t where t ->> 'tag' = 'gardening'),
          'another person''s tags never appear');
select is((select s #>> '{window,timezone}' from stats), 'Asia/Tokyo', 'the window names the time zone used');

-- Anonymisation: A opted out, B deleted, C neither; A's and B's personas were written after
-- (a restore, say), so only the job can catch them.
update public.profiles set persona_analysis_enabled = false where user_id = '55000000-0000-4000-8000-000000000001';
update public.profiles set account_status = 'deleted' where user_id = '55000000-0000-4000-8000-000000000002';
insert into public.user_personas (user_id, technical_profile, lifestyle_profile, life_phase, phase_confidence)
select id, '{"skill_levels": {"Python": "beginner"}}', '{"interests": ["python"]}', 'early_career', 0.5
from auth.users where id in ('55000000-0000-4000-8000-000000000001', '55000000-0000-4000-8000-000000000002',
                             '55000000-0000-4000-8000-000000000003');

select ok((private.anonymise_personas() ->> 'anonymised')::int >= 2, 'the job reports what it anonymised');
select is((select array_agg(user_id order by user_id) from public.user_personas
           where lifestyle_profile = '{}' and technical_profile = '{}'
             and user_id::text like '55000000-%'),
          array['55000000-0000-4000-8000-000000000001', '55000000-0000-4000-8000-000000000002']::uuid[],
          'exactly the opted-out and the deleted person are blanked');
select is((select count(*)::int from public.user_personas
           where user_id::text like '55000000-%' and life_phase = 'early_career'), 3,
          'aggregates (life phase) are kept for everyone');
select is((private.anonymise_personas() ->> 'anonymised')::int, 0, 'a second run finds nothing left to do');

-- Who may call what.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "55000000-0000-4000-8000-000000000003", "role": "authenticated"}', true);
select throws_ok($$select private.persona_statistics('55000000-0000-4000-8000-000000000001')$$, '42501', null,
                 'people cannot run the statistics, even on themselves');
select throws_ok($$select private.anonymise_personas()$$, '42501', null, 'people cannot run the anonymisation job');
select lives_ok($$update public.profiles set persona_analysis_enabled = false
                  where user_id = '55000000-0000-4000-8000-000000000003'$$,
                'a person may opt out of persona analysis');
reset role;
select is((select lifestyle_profile from public.user_personas where user_id = '55000000-0000-4000-8000-000000000003'),
          '{}'::jsonb, 'opting out blanks the persona at once, without waiting for the job');
select ok((select anonymised_at is not null and life_phase = 'early_career' from public.user_personas
           where user_id = '55000000-0000-4000-8000-000000000003'), 'and keeps its aggregates');

select throws_ok(
  $$insert into public.suggestions (user_id, suggestion_type, suggestion_key) values
      ('55000000-0000-4000-8000-000000000003', 'learning_path', 'learning_path:python'),
      ('55000000-0000-4000-8000-000000000003', 'learning_path', 'learning_path:python')$$,
  '23505', null, 'a suggestion key is unique per person');

select is(private.ab_arm_score('55000000-0000-4000-8000-000000000001', 'core', 'A'),
          private.ab_arm_score('55000000-0000-4000-8000-000000000001', 'core', 'A'),
          'an arm score is stable');
select ok(private.ab_arm_score('55000000-0000-4000-8000-000000000001', 'core', null) is null,
          'a version without an A/B group has no arm score');

select * from finish();
rollback;
