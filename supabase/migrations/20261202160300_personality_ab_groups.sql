-- A/B groups in personality rollout (seed 004 `ab_test_group`). Until now the group was stored
-- and returned but chose nothing: two arms of an experiment at the same rollout percentage both
-- covered the same people and the newest activation took them all.
--
-- Now active versions of one family that carry an ab_test_group and share a rollout percentage
-- are the arms of one experiment. The people that percentage covers (rollout bucket below it, as
-- before) are split evenly between the arms by rendezvous hashing: each person goes to the arm
-- with the highest md5(user:family:group) score. So a person keeps their arm on every call;
-- adding an arm moves people only into the new arm, never between existing ones, and ending an
-- arm moves only that arm's people. Versions without a group choose exactly as before, so
-- nobody outside an experiment changes variant with this migration.

-- A person's score for one arm (0 .. 2^28-1): stable across calls and releases, independent per arm.
create or replace function private.ab_arm_score(user_id uuid, schema_key text, ab_test_group text)
returns integer
language sql immutable parallel safe
set search_path = ''
as $$
  select ('x' || substr(md5(user_id::text || ':' || schema_key || ':' || ab_test_group), 1, 7))::bit(28)::integer
$$;
comment on function private.ab_arm_score(uuid, text, text) is
  'Rendezvous score of a person for one A/B arm of a personality family (md5, first 28 bits).';
revoke all on function private.ab_arm_score(uuid, text, text) from public, anon;
grant execute on function private.ab_arm_score(uuid, text, text) to authenticated, service_role;

-- As in 20261123111500_chat_context.sql, plus the arm choice between equally wide versions.
create or replace function private.personality_for(app_personality_schema_id uuid, for_user uuid) returns jsonb
language sql stable
set search_path = ''
as $$
  with app_schema as (
    select ps.* from public.personality_schemas ps
    where ps.personality_schema_id = app_personality_schema_id
  ),
  p as (
    select candidates.*
    from (
      select ps.*, 0 as priority
      from public.personality_schemas ps
      join app_schema s on s.schema_key = ps.schema_key
      where ps.status = 'active'
        and private.rollout_bucket(for_user, ps.schema_key) < ps.rollout_percentage
      union all
      select s.*, 1 as priority from app_schema s
    ) candidates
    order by candidates.priority, candidates.rollout_percentage,
             private.ab_arm_score(for_user, candidates.schema_key, candidates.ab_test_group) desc nulls last,
             candidates.activated_at desc nulls last, candidates.personality_schema_id
    limit 1
  )
  select jsonb_build_object(
    'personality_schema_id', p.personality_schema_id,
    'schema_key', p.schema_key,
    'version', p.version,
    'layer', p.layer,
    'status', p.status,
    'rollout_percentage', p.rollout_percentage,
    'ab_test_group', p.ab_test_group,
    'parent_schema_id', p.parent_schema_id,
    'schema', coalesce(parent.schema, '{}'::jsonb) || p.schema
  )
  from p
  left join public.personality_schemas parent on parent.personality_schema_id = p.parent_schema_id
$$;
comment on function private.personality_for(uuid, uuid) is
  'The personality version a person gets for an app''s family: rollout by bucket, A/B arms by rendezvous hash, overlay merged.';
