-- Orb states (V7 `orb_states`): the history of Dot's orb, its visual state, emotional tone and
-- energy. The live state sits in the cache (`user:{uid}:orb:state`); this is the durable record,
-- written by the dialogue server.

create table if not exists public.orb_states (
  state_id uuid primary key default gen_random_uuid(),
  user_id uuid not null constraint orb_states_user_fk references auth.users (id) on delete cascade,
  visual_state text not null,
  emotional_tone text not null,
  energy_level double precision not null,
  is_speaking boolean not null default false,
  position jsonb,
  effects jsonb not null default '[]'::jsonb,
  context jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint orb_states_visual_state_length check (char_length(visual_state) between 1 and 64),
  constraint orb_states_emotional_tone_length check (char_length(emotional_tone) between 1 and 64),
  constraint orb_states_energy_level_range check (energy_level >= 0 and energy_level <= 1),
  constraint orb_states_position_object check (position is null or jsonb_typeof(position) = 'object'),
  constraint orb_states_effects_objects check (private.is_array_of_objects(effects)),
  constraint orb_states_context_object check (jsonb_typeof(context) = 'object')
);
comment on table public.orb_states is
  'Durable history of the orb''s visual and emotional state; the live state is cached. Server-written.';

alter table public.orb_states enable row level security;

create index if not exists orb_states_user_id_created_at_idx on public.orb_states (user_id, created_at desc);
create index if not exists orb_states_created_at_idx on public.orb_states (created_at);

revoke all on table public.orb_states from anon, authenticated;
grant select on table public.orb_states to authenticated;
grant all on table public.orb_states to service_role;

drop policy if exists "Orb states are readable by their owner" on public.orb_states;
create policy "Orb states are readable by their owner" on public.orb_states
  for select to authenticated
  using (user_id = (select auth.uid()));
