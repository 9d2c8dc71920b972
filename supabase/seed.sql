-- Demo data for local development, applied once after the migrations on a fresh database
-- (`dotline up` / `dotline dev` locally, `supabase db reset` with the Supabase CLI).
-- Keep it small and valid against the current migrations; tests make their own data.

-- The demo user `dotline dev` prints a token for (password: dotline-demo). The profile row is
-- created by the on_auth_user_created trigger, as on sign-up.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
values (
  '00000000-0000-0000-0000-000000000000',
  'd0d0d0d0-0000-4000-8000-000000000001',
  'authenticated',
  'authenticated',
  'demo@dotline.local',
  extensions.crypt('dotline-demo', extensions.gen_salt('bf')),
  now(),
  '',
  '',
  '{"provider": "email", "providers": ["email"]}'::jsonb,
  '{"display_name": "Demo"}'::jsonb,
  now(),
  now()
)
on conflict (id) do nothing;

update public.profiles
set timezone = 'Europe/London', preferences = '{"theme": "dark"}'::jsonb
where user_id = 'd0d0d0d0-0000-4000-8000-000000000001';
