-- profiles.next_conversation_context_package (V9.7/V11), handed to the next conversation once:
-- the insight cycle writes a fresh package; the first turn answered in a new conversation takes
-- it (stamping which conversation did), so the conversations after it do not hear the same
-- note again until the next cycle writes another.

-- Called by the dialogue (as the person) when it builds a conversation's context.
create or replace function private.take_context_package(p_conversation_id uuid, p_first_turn boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_package jsonb;
begin
  if not exists (select 1 from public.conversations
                  where conversation_id = p_conversation_id and user_id = (select auth.uid())) then
    return null;
  end if;
  select next_conversation_context_package into v_package
    from public.profiles where user_id = (select auth.uid());
  if v_package is null then
    return null;
  end if;
  if v_package ->> 'taken_by_conversation_id' = p_conversation_id::text then
    return v_package;  -- this conversation's own, its session rebuilt
  end if;
  if v_package ? 'taken_by_conversation_id' or not p_first_turn then
    return null;  -- handed to another conversation, or this one began without it
  end if;
  v_package := v_package || jsonb_build_object('taken_by_conversation_id', p_conversation_id,
                                               'taken_at', now());
  update public.profiles set next_conversation_context_package = v_package
   where user_id = (select auth.uid());
  return v_package;
end;
$$;
comment on function private.take_context_package(uuid, boolean) is
  'The caller''s next-conversation context package for this conversation of theirs: taken on its '
  'first turn (stamped with the conversation), its own again on a rebuild, else null.';
revoke all on function private.take_context_package(uuid, boolean) from public, anon;
grant execute on function private.take_context_package(uuid, boolean) to authenticated, service_role;
