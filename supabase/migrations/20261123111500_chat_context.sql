-- api.get_chat_context: everything the coach needs to answer one message, in one round trip
-- (seed 004 hot path): the app, the user's personality variant, its knowledge bases, the last
-- ten messages and the user's progress.

-- Which rollout bucket (0-99) a person falls in for a personality family: stable across calls
-- and releases (md5, not hashtext), independent between families.
create or replace function private.rollout_bucket(user_id uuid, schema_key text) returns integer
language sql immutable parallel safe
set search_path = ''
as $$
  select (('x' || substr(md5(user_id::text || ':' || schema_key), 1, 7))::bit(28)::integer % 100)
$$;
comment on function private.rollout_bucket(uuid, text) is
  'A person''s stable rollout bucket 0-99 for a personality family: md5(user_id:schema_key), first 28 bits, mod 100.';
revoke all on function private.rollout_bucket(uuid, text) from public, anon;
grant execute on function private.rollout_bucket(uuid, text) to authenticated, service_role;

-- Security invoker: RLS limits everything to the caller's rows and the readable catalogue.
-- for_user must be the caller (or anyone when the server calls it without claims).
create or replace function api.get_chat_context(app text, for_user uuid default auth.uid(), conversation uuid default null)
returns table (
  app_id uuid,
  app_slug text,
  display_name text,
  domain text,
  personality jsonb,
  knowledge_bases jsonb,
  recent_messages jsonb,
  progress jsonb
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if for_user is null then
    raise exception 'get_chat_context needs a user' using errcode = 'invalid_parameter_value';
  end if;
  if auth.uid() is not null and for_user <> auth.uid() then
    raise exception 'get_chat_context: a user may read only their own context' using errcode = 'insufficient_privilege';
  end if;
  return query
  select
    a.app_id,
    a.slug,
    a.display_name,
    a.domain,
    private.personality_for(a.personality_schema_id, for_user),
    coalesce((
      select jsonb_agg(jsonb_build_object('knowledge_base_id', kb.knowledge_base_id, 'slug', kb.slug,
                                          'title', kb.title, 'version', kb.version)
                       order by kb.slug)
      from public.app_knowledge_bases akb
      join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
      where akb.app_id = a.app_id
    ), '[]'::jsonb),
    coalesce((
      select jsonb_agg(jsonb_build_object('message_id', m.message_id, 'conversation_id', m.conversation_id,
                                          'role', m.role, 'content', m.content, 'created_at', m.created_at)
                       order by m.created_at, m.message_id)
      from (
        select msg.*
        from public.messages msg
        join public.conversations c on c.conversation_id = msg.conversation_id
        where msg.user_id = for_user
          and c.user_id = for_user
          and c.app_id = a.app_id
          and (conversation is null or msg.conversation_id = conversation)
        order by msg.created_at desc, msg.message_id desc
        limit 10
      ) m
    ), '[]'::jsonb),
    (
      select jsonb_build_object('progress_data', up.progress_data, 'milestones_reached', to_jsonb(up.milestones_reached),
                                'current_focus_area', up.current_focus_area,
                                'total_conversations', up.total_conversations, 'total_messages', up.total_messages,
                                'started_at', up.started_at, 'updated_at', up.updated_at)
      from public.user_progress up
      where up.user_id = for_user and up.app_id = a.app_id
    )
  from public.apps a
  where (a.slug = app or a.app_id::text = lower(app))
    and a.is_active;
end;
$$;
comment on function api.get_chat_context(text, uuid, uuid) is
  'One row for the app (slug or id): the user''s personality variant, active knowledge bases, last 10 messages (oldest first; across the app''s conversations or one given conversation) and progress. No row: no such active app.';
revoke all on function api.get_chat_context(text, uuid, uuid) from public, anon;
grant execute on function api.get_chat_context(text, uuid, uuid) to authenticated, service_role;

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
revoke all on function private.personality_for(uuid, uuid) from public, anon;
grant execute on function private.personality_for(uuid, uuid) to authenticated, service_role;
