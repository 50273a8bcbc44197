//! The environment of a cron job, as cron(8) and crontab(5) describe it.
//!
//! The crontab's assignments come first, in file order (a later one of the
//! same name wins). Then cron's own: SHELL (/bin/sh), HOME (the owner's
//! home directory) and PATH (/usr/bin:/bin) unless the crontab set them;
//! LOGNAME and USER always from the owner's account, since crontab(5) says
//! LOGNAME cannot be overridden (cronie sets USER the same way). Nothing
//! of the daemon's own environment is passed on.

use sched_runas::ResolvedUser;

/// cron's shell and PATH when a crontab sets none.
pub const DEFAULT_SHELL: &str = "/bin/sh";
pub const DEFAULT_PATH: &str = "/usr/bin:/bin";

/// The environment of a job of `user` whose crontab assigns `assigned`.
pub fn cron_environment(
    user: &ResolvedUser,
    assigned: &[(String, String)],
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::with_capacity(assigned.len() + 5);
    let set = |env: &mut Vec<(String, String)>, name: &str, value: &str| match env
        .iter_mut()
        .find(|(existing, _)| existing == name)
    {
        Some(slot) => slot.1 = value.to_owned(),
        None => env.push((name.to_owned(), value.to_owned())),
    };
    for (name, value) in assigned {
        set(&mut env, name, value);
    }
    let home = user.home().display().to_string();
    for (name, value) in [
        ("SHELL", DEFAULT_SHELL),
        ("HOME", home.as_str()),
        ("PATH", DEFAULT_PATH),
    ] {
        if !env.iter().any(|(existing, _)| existing == name) {
            env.push((name.to_owned(), value.to_owned()));
        }
    }
    set(&mut env, "LOGNAME", user.name());
    set(&mut env, "USER", user.name());
    env
}

/// The value of `name` in `env`.
pub fn lookup<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(existing, _)| existing == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn cron_sets_shell_home_path_logname_and_user_and_the_crontab_may_override_some() {
        let me = sched_runas::resolve_uid(sched_runas::current_euid()).unwrap();
        let home = me.home().display().to_string();
        let env = cron_environment(&me, &[]);
        assert_eq!(
            env,
            pairs(&[
                ("SHELL", "/bin/sh"),
                ("HOME", &home),
                ("PATH", "/usr/bin:/bin"),
                ("LOGNAME", me.name()),
                ("USER", me.name()),
            ])
        );
        let assigned = pairs(&[
            ("MAILTO", ""),
            ("SHELL", "/bin/bash"),
            ("PATH", "/opt/bin"),
            ("HOME", "/srv"),
            ("LOGNAME", "mallory"),
            ("USER", "mallory"),
            ("PATH", "/usr/local/bin:/usr/bin"),
        ]);
        let env = cron_environment(&me, &assigned);
        assert_eq!(
            env,
            pairs(&[
                ("MAILTO", ""),
                ("SHELL", "/bin/bash"),
                ("PATH", "/usr/local/bin:/usr/bin"),
                ("HOME", "/srv"),
                ("LOGNAME", me.name()),
                ("USER", me.name()),
            ])
        );
        assert_eq!(lookup(&env, "HOME"), Some("/srv"));
        assert_eq!(lookup(&env, "NOPE"), None);
    }
}
