-- profiles.last_login_at (V7 `last_login_at`) from Supabase Auth: GoTrue stamps
-- auth.users.last_sign_in_at on every sign-in (password, OTP, magic link, OAuth; not on a token
-- refresh), so a trigger on that column copies it to the profile. Hosted and local alike: the
-- local auth emulation stamps the same column (`dotline_local.tokens.sign_in`).

create or replace function private.record_sign_in()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.profiles
     set last_login_at = new.last_sign_in_at
   where user_id = new.id
     and last_login_at is distinct from new.last_sign_in_at;
  return new;
end;
$$;
comment on function private.record_sign_in() is
  'Trigger on auth.users: a sign-in (last_sign_in_at moved) is the profile''s last_login_at.';
revoke all on function private.record_sign_in() from public, anon, authenticated;

drop trigger if exists on_auth_user_signed_in on auth.users;
create trigger on_auth_user_signed_in
  after insert or update of last_sign_in_at on auth.users
  for each row
  when (new.last_sign_in_at is not null)
  execute function private.record_sign_in();
