"""Behaviour of monitor.facts, on sentences taken from real provider policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.clauses import find_clauses
from monitor.config import DocumentConfig
from monitor.extract import extract
from monitor.facts import changed_values, durations, extract_facts, split_values

# -- training --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        # OpenAI Enterprise privacy
        ("We do not train on your business data by default.", "not used by default"),
        (
            "By default, we do not use your business data for training our models.",
            "not used by default",
        ),
        # OpenAI Services Agreement 4.2: no use unless the customer agrees (opt-in)
        (
            "OpenAI will not use Customer Content to develop or improve the Services, unless "
            "Customer explicitly agrees to such use.",
            "not used by default",
        ),
        # Anthropic Commercial Terms
        ("Anthropic may not train models on Customer Content from Services.", "not used"),
        # OpenAI Terms of Use (EU)
        (
            "If you do not want us to use your Content to train our models, you have the option "
            "to opt out by updating your account settings.",
            "used unless you opt out",
        ),
        # Anthropic Consumer Terms
        (
            "We may use Materials to provide, maintain, and improve the Services and to develop "
            "other products and services, including training our models, unless you opt out of "
            "training through your account settings.",
            "used unless you opt out",
        ),
        # OpenAI "How your data is used to improve model performance"
        (
            "When you use our services for individuals such as ChatGPT, Sora, or Operator, we "
            "may use your content to train our models.",
            "used",
        ),
        # Mistral privacy policy
        (
            "Please note that we do not use your Input and Output to train our artificial "
            "intelligence models when you use Le Chat Enterprise or the paid version of our APIs.",
            "not used",
        ),
    ],
)
def test_training_stance_of_real_sentences(text: str, stance: str) -> None:
    """Each real training sentence yields the stance a lawyer would read from it."""
    assert extract_facts("training", text)["stance"] == stance


def test_opt_out_conditional_negation_means_used_unless_opt_out() -> None:
    """'Once you opt out, ... will not be used' describes an opt-out, not a refusal."""
    text = "Once you opt out, new conversations will not be used to train our models."
    assert extract_facts("training", text) == {
        "stance": "used unless you opt out",
        "consent": "opt-out",
    }


def test_opt_in_sentence_gives_opt_in_consent() -> None:
    """OpenAI's opt-in wording reads as 'not used by default' with opt-in consent."""
    text = (
        "By default, data from ChatGPT Business, ChatGPT Enterprise, and the API Platform "
        "isn’t used for training our models, unless you have explicitly opted in to share your "
        "data with us to improve the services."
    )
    assert extract_facts("training", text) == {
        "stance": "not used by default",
        "consent": "opt-in",
    }


def test_qualified_stance_wins_over_bare_statements() -> None:
    """A clause mixing an opt-out offer and a bare 'not used' sentence is opt-out."""
    text = (
        "We may use your Inputs and Outputs to train and improve Anthropic AI models, unless "
        "you opt out through your account settings.\n"
        "Chats from Temporary Chat won’t appear in history, use or create memories, or be used "
        "to train our models."
    )
    assert extract_facts("training", text)["stance"] == "used unless you opt out"


def test_customer_restrictions_and_feedback_are_not_a_stance() -> None:
    """Bans on customers training competing models and feedback carve-outs state no stance."""
    text = (
        "- To develop any products or services that compete with our Services, including to "
        "develop or train any artificial intelligence or machine learning algorithms or models.\n"
        "When you submit Feedback, we disassociate Inputs and Outputs from your user ID to use "
        "them for training and improving our models."
    )
    assert "stance" not in extract_facts("training", text)


def test_headings_and_questions_state_no_training_fact() -> None:
    """Headings and FAQ questions are not statements."""
    text = "# Does OpenAI train its models on my business data?\nDoes OpenAI train on my data?"
    assert extract_facts("training", text) == {}


# -- retention -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        (
            "OpenAI may securely retain API inputs and outputs for up to 30 days to provide the "
            "services and to identify abuse.",
            "up to 30 days",
        ),
        (
            "OpenAI will delete all Customer Content from its systems within thirty days, "
            "unless OpenAI is legally required to retain it.",
            "up to 30 days",
        ),
        (
            "Within thirty (30) days of the date of termination or expiration of the Agreement, "
            "Anthropic will delete all copies of Customer Data.",
            "up to 30 days",
        ),
        (
            "Account Data: for 1 year after you delete your account.",
            "1 year",
        ),
        (
            "We keep your data for the duration of the contract and for 5 years following the "
            "termination of the contract.",
            "5 years; for the duration of the agreement",
        ),
        (
            "Anthropic retains your personal data for as long as reasonably necessary for the "
            "purposes and criteria outlined in this Privacy Policy.",
            "as long as necessary",
        ),
        (
            "We retain your conversations as long as your account is active.",
            "as long as your account is active",
        ),
        ("Logs are kept for up to 2 years.", "up to 2 years"),
    ],
)
def test_retention_duration_of_real_sentences(text: str, duration: str) -> None:
    """Durations are canonical: number words and '(30)' become digits, bounds say 'up to'."""
    assert extract_facts("retention", text)["duration"] == duration


def test_several_durations_are_listed_once_each_in_order() -> None:
    """Each amount is listed once, at its first mention, in document order."""
    text = (
        "Except for specific APIs, we keep your Input and Output for thirty (30) rolling days "
        "to monitor abuse. After 30 days, inputs are removed. Account Data is kept for 1 year."
    )
    assert extract_facts("retention", text) == {"duration": "30 days; 1 year"}


def test_durations_keep_business_days_apart() -> None:
    """Business days are not calendar days."""
    assert durations("within 10 business days, then 10 days") == [
        "up to 10 business days",
        "10 days",
    ]


def test_retention_without_duration_has_no_fact() -> None:
    """A retention clause stating no period gives no duration fact."""
    assert extract_facts("retention", "Security-related logs are retained appropriately.") == {}


# -- ownership -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        (
            "As between you and OpenAI, and to the extent permitted by applicable law, you (a) "
            "retain your ownership rights in Input and (b) own the Output.",
            "customer",
        ),
        (
            "As between the parties and to the extent permitted by applicable law, Anthropic "
            "agrees that Customer (a) retains all rights to its Inputs, and (b) owns its Outputs.",
            "customer",
        ),
        (
            "Some of our services allow you to generate original content. Google won't claim "
            "ownership over that content.",
            "customer",
        ),
        (
            "Subject to your compliance with these Terms, we grant you a non-exclusive licence "
            "to use the Output.",
            "licence",
        ),
        ("As between the parties, Provider owns all Output.", "provider"),
    ],
)
def test_output_ownership_of_sentences(text: str, owner: str) -> None:
    """Ownership of outputs reads as customer, licence or provider."""
    assert extract_facts("ownership", text) == {"output ownership": owner}


def test_output_not_owned_by_anyone_is_not_ownership() -> None:
    """'not owned by you or OpenAI' asserts no owner."""
    text = "This information and content included in the Output is not owned by you or OpenAI."
    assert extract_facts("ownership", text) == {}


# -- audit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Upon Customer’s written request, Anthropic will permit Customer, at Customer’s expense, "
        "to audit Anthropic’s applicable controls and compliance with this DPA.",
        "OpenAI will allow for and contribute to audits or inspections by, or on behalf of, "
        "Customer at Customer’s sole expense.",
        "Customer may conduct up to one (1) on-site audit per year to verify Mistral AI’s "
        "compliance with this DPA.",
    ],
)
def test_audit_right_present(text: str) -> None:
    """Real DPA audit clauses grant an audit right."""
    assert extract_facts("audit", text) == {"audit right": "yes"}


def test_certifications_alone_are_no_audit_right() -> None:
    """Being audited by one's own auditors is not a customer audit right."""
    text = (
        "Anthropic is audited annually against known, established industry standards "
        "performed by external auditors. ChatGPT Business successfully completed a SOC 2 Type 2 "
        "audit."
    )
    assert extract_facts("audit", text) == {"audit right": "no"}


def test_explicit_denial_of_audit_is_no() -> None:
    """'no right to audit' is an explicit no."""
    text = "Customer may request reports, but has no right to audit Provider's facilities."
    assert extract_facts("audit", text) == {"audit right": "no"}


# -- notice ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "notice"),
    [
        (
            "Anthropic may update these Terms at any time, to be effective 30 days after the "
            "updates are posted by Anthropic or Customer otherwise receives Notice.",
            "30 days' notice",
        ),
        (
            "Material updates to the Terms become effective thirty (30) days after notice is "
            "provided to Customer.",
            "30 days' notice",
        ),
        (
            "OpenAI may update this Agreement, or OpenAI Policies, by providing Customer with "
            "reasonable notice, including by posting the update on OpenAI’s website.",
            "reasonable notice",
        ),
        ("We will give you one month's notice of any change.", "1 month's notice"),
    ],
)
def test_change_notice_period(text: str, notice: str) -> None:
    """Notice periods for changes to the terms read as "N days' notice"."""
    assert extract_facts("changes", text) == {"notice": notice}


def test_subprocessor_clause_notice() -> None:
    """Subprocessor clauses report their notice period too."""
    text = (
        "Mistral AI will provide reasonable notice to the Customer of any changes to the list "
        "of Subprocessors prior to engaging such Subprocessor."
    )
    assert extract_facts("subprocessors", text) == {"notice": "reasonable notice"}


# -- general ---------------------------------------------------------------------------------


def test_unknown_clause_keys_and_empty_text_have_no_facts() -> None:
    """User-defined clauses and empty clause text yield no facts."""
    assert extract_facts("model-use", "We retain data for 30 days.") == {}
    assert extract_facts("retention", "  ") == {}


def test_changed_values_lists_what_left_and_what_came() -> None:
    """changed_values() splits multi-valued facts into dropped and new values."""
    assert changed_values("30 days; 1 year", "90 days; 1 year") == (["30 days"], ["90 days"])
    assert changed_values(None, "30 days") == ([], ["30 days"])


# -- real captures (skipped without ../shared/corpus) ----------------------------------------

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pages"


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("slug", "key", "fact", "value"),
    [
        ("anthropic-commercial-terms", "training", "stance", "not used"),
        ("openai-services-agreement", "training", "stance", "not used by default"),
        ("openai-eu-terms", "training", "stance", "used unless you opt out"),
        ("openai-services-agreement", "ownership", "output ownership", "customer"),
        ("openai-dpa", "audit", "audit right", "yes"),
        ("anthropic-commercial-terms", "changes", "notice", "30 days' notice"),
    ],
)
def test_facts_of_real_captures(slug: str, key: str, fact: str, value: str) -> None:
    """Facts read from real captured pages (extracted, clauses found) are the expected ones."""
    if not CORPUS.is_dir():
        pytest.skip("no ../shared/corpus")
    [entry] = [e for e in json.loads((CORPUS / "manifest.json").read_text()) if e["slug"] == slug]
    doc = DocumentConfig(
        provider="p",
        id=slug,
        name=slug,
        provider_name="P",
        url=entry["url"],
        select=tuple(entry["select"]),
        remove=tuple(entry.get("remove", ())),
    )
    extraction = extract((CORPUS / entry["file"]).read_bytes(), "text/html", doc)
    clause = find_clauses(extraction).clauses[key]
    assert value in split_values(extract_facts(key, clause.text)[fact])
