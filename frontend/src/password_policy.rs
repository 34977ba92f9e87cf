//! An organization's password policy as a person reads it while typing: the rules the portal can
//! judge at once (length, an obvious piece of personal information) and those only the server can
//! (strength, the password history). The server has the final say on every one of them.

/// The policy as the API describes it (`PasswordPolicy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: i64,
    /// zxcvbn score, 0 to 4; 0 asks for nothing.
    pub min_strength: i64,
    /// How many earlier passwords may not come back; 0 for none.
    pub history_size: i64,
    pub reject_personal_info: bool,
}

impl PasswordPolicy {
    /// What is shown when no organization's policy is known: the length every password needs.
    pub fn minimal() -> Self {
        Self {
            min_length: 8,
            min_strength: 0,
            history_size: 0,
            reject_personal_info: false,
        }
    }
}

/// Where a password stands with one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleState {
    Met,
    NotMet,
    /// Only the server can tell; it answers with the reasons when the password is sent.
    CheckedOnSave,
}

impl RuleState {
    /// A word for screen readers, next to the mark that shows the state.
    pub fn spoken(self) -> &'static str {
        match self {
            RuleState::Met => "met",
            RuleState::NotMet => "not met",
            RuleState::CheckedOnSave => "checked when you save",
        }
    }

    pub fn mark(self) -> &'static str {
        match self {
            RuleState::Met => "✓",
            RuleState::NotMet => "✗",
            RuleState::CheckedOnSave => "•",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            RuleState::Met => "rule met",
            RuleState::NotMet => "rule not-met",
            RuleState::CheckedOnSave => "rule on-save",
        }
    }
}

/// One line of the checklist. `key` is stable, for element ids and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub key: &'static str,
    pub text: String,
    pub state: RuleState,
}

/// Words from personal details shorter than this are not looked for: too many passwords would
/// "contain" a three-letter name by chance, and the server decides anyway.
const SHORTEST_PERSONAL_TERM: usize = 4;

/// The rules of `policy`, judged against `password`. `personal` holds what the person's password
/// should not contain when the policy says so: their email address, names, the organization's name.
pub fn rules(policy: &PasswordPolicy, password: &str, personal: &[String]) -> Vec<Rule> {
    let length = password.chars().count();
    let min_length = usize::try_from(policy.min_length).unwrap_or(0);
    let mut rules = vec![Rule {
        key: "length",
        text: format!("At least {min_length} characters"),
        state: if length >= min_length && length > 0 {
            RuleState::Met
        } else {
            RuleState::NotMet
        },
    }];
    if policy.min_strength > 0 {
        let strength = policy.min_strength.min(4);
        rules.push(Rule {
            key: "strength",
            text: format!(
                "Hard to guess: strength {strength} of 4 or more ({})",
                strength_word(strength)
            ),
            state: RuleState::CheckedOnSave,
        });
    }
    if policy.reject_personal_info {
        let lowered = password.to_lowercase();
        let found = personal_terms(personal)
            .iter()
            .any(|term| lowered.contains(term.as_str()));
        rules.push(Rule {
            key: "personal",
            text: "No personal information: not your email address, your names or the organization's name".to_owned(),
            state: if found {
                RuleState::NotMet
            } else {
                RuleState::CheckedOnSave
            },
        });
    }
    if policy.history_size > 0 {
        let text = if policy.history_size == 1 {
            "Not the same as your previous password".to_owned()
        } else {
            format!("Not one of your last {} passwords", policy.history_size)
        };
        rules.push(Rule {
            key: "history",
            text,
            state: RuleState::CheckedOnSave,
        });
    }
    rules
}

/// zxcvbn's own names for its scores, 0 to 4.
pub fn strength_word(score: i64) -> &'static str {
    match score {
        0 => "too guessable",
        1 => "very guessable",
        2 => "somewhat guessable",
        3 => "safely unguessable",
        _ => "very unguessable",
    }
}

/// The lower-cased words worth looking for: an email address's local part whole and in pieces,
/// and every word of a name.
fn personal_terms(personal: &[String]) -> Vec<String> {
    let mut terms = Vec::new();
    for value in personal {
        let value = value.trim().to_lowercase();
        let value = value.split('@').next().unwrap_or_default();
        terms.push(value.to_owned());
        terms.extend(
            value
                .split(|character: char| !character.is_alphanumeric())
                .map(str::to_owned),
        );
    }
    terms.retain(|term| term.chars().count() >= SHORTEST_PERSONAL_TERM);
    terms.sort();
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 12,
            min_strength: 3,
            history_size: 5,
            reject_personal_info: true,
        }
    }

    fn state(rules: &[Rule], key: &str) -> Option<RuleState> {
        rules.iter().find(|rule| rule.key == key).map(|rule| rule.state)
    }

    #[test]
    fn length_is_judged_as_you_type() {
        assert_eq!(state(&rules(&policy(), "", &[]), "length"), Some(RuleState::NotMet));
        assert_eq!(
            state(&rules(&policy(), "short", &[]), "length"),
            Some(RuleState::NotMet)
        );
        assert_eq!(
            state(&rules(&policy(), "twelve chars", &[]), "length"),
            Some(RuleState::Met)
        );
        // Characters, not bytes.
        assert_eq!(
            state(&rules(&policy(), "ééééééééééé", &[]), "length"),
            Some(RuleState::NotMet)
        );
    }

    #[test]
    fn every_rule_of_the_policy_is_listed() {
        let listed = rules(&policy(), "", &[]);
        let keys: Vec<_> = listed.iter().map(|rule| rule.key).collect();
        assert_eq!(keys, ["length", "strength", "personal", "history"]);
        assert!(listed[1].text.contains("3 of 4"), "{}", listed[1].text);
        assert!(listed[3].text.contains("last 5 passwords"), "{}", listed[3].text);
        assert_eq!(listed[1].state, RuleState::CheckedOnSave);
        assert_eq!(listed[3].state, RuleState::CheckedOnSave);
    }

    #[test]
    fn rules_the_policy_does_not_have_are_left_out() {
        let listed = rules(&PasswordPolicy::minimal(), "", &[]);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].text, "At least 8 characters");
    }

    #[test]
    fn obvious_personal_information_is_flagged() {
        let personal = vec!["Grace.Hopper@example.com".to_owned(), "Ada Acme".to_owned()];
        let judged = |password: &str| state(&rules(&policy(), password, &personal), "personal");
        assert_eq!(judged("my-HOPPER-password"), Some(RuleState::NotMet));
        assert_eq!(judged("grace.hopper!"), Some(RuleState::NotMet));
        assert_eq!(judged("i-work-at-acme"), Some(RuleState::NotMet));
        // The domain is not personal, and short words are not looked for.
        assert_eq!(judged("example-ada-horse"), Some(RuleState::CheckedOnSave));
    }
}
