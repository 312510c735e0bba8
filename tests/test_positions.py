"""Behaviour of monitor.positions on wordings of providers outside the corpus.

The sentences are written the way other AI providers' terms, privacy policies and DPAs
phrase the rules (none is copied from a corpus page), so that these tests check the
families of phrasing, not one document's wording.
"""

from __future__ import annotations

import pytest

from monitor.extract import blocks_from_text
from monitor.positions import (
    POSITION_KEYS,
    Position,
    PositionKey,
    position_from_json,
    position_to_json,
    read_positions,
)


def read(text: str, clauses: dict[str, str] | None = None) -> dict[PositionKey, Position]:
    return read_positions(blocks_from_text(text), clauses or {})


def value(text: str, key: PositionKey) -> object:
    return read(text)[key].value


# -- the interface ----------------------------------------------------------------------------


def test_every_key_is_present_and_unstated_positions_are_null() -> None:
    """A document that states nothing gives all 11 keys, each null with no evidence."""
    positions = read("# Acceptable use\nDo not use the service to send spam.")
    assert tuple(positions) == POSITION_KEYS
    assert len(POSITION_KEYS) == 11
    for key, p in positions.items():
        assert p.key == key
        assert (p.value, p.evidence, p.scope) == (None, (), None)


def test_positions_carry_the_sentences_that_justify_them() -> None:
    """Each stated position quotes the document's own sentence as evidence."""
    text = (
        "# Data\nWe will not use Customer Data to train our models. "
        "Logs are deleted within 30 days."
    )
    positions = read(text)
    assert positions["training_use"].evidence == (
        "We will not use Customer Data to train our models.",
    )
    assert positions["retention_days"].evidence == ("Logs are deleted within 30 days.",)


def test_json_round_trip_keeps_values_evidence_and_scope() -> None:
    """A position written as JSON and read back is the same position."""
    text = (
        "If you use our free services, we may use your prompts to train our models unless you "
        "opt out in settings. We retain logs for 2 years and backups for ninety (90) days."
    )
    for key, p in read(text).items():
        data = position_to_json(p)
        assert position_from_json(key, data) == p
    training = position_to_json(read(text)["training_use"])
    assert training["value"] == ["opt_out"]
    assert training["scope"] == ["free services"]
    assert position_to_json(read(text)["retention_days"])["value"] == [90, 730]


def test_stored_text_gives_the_same_positions_as_the_blocks() -> None:
    """Positions read from the normalized text are those read from its blocks."""
    text = "# Changes\n- We may amend these Terms upon thirty (30) days' prior written notice."
    blocks = blocks_from_text(text)
    joined = "\n".join(b.line() for b in blocks)
    assert read_positions(blocks, {}) == read(joined)
    assert read(text)["change_notice_days"].value == 30


# -- training_use -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will not use Customer Data to train our models.", ("not_used",)),
        ("Your prompts and completions are never used to train or fine-tune our models.",
         ("not_used",)),
        ("Acme does not train its AI models on business customers' content.", ("not_used",)),
        ("You may opt out of having your conversations used for model improvement.",
         ("opt_out",)),
        ("We use your chats to improve our models unless you turn off the training setting.",
         ("opt_out",)),
        ("We may use your Content to provide, maintain and improve the Services.", ("used",)),
        ("Submissions may be used to develop and improve our products and AI models.",
         ("used",)),
        ("We will only use your inputs to train our models if you opt in.", ("opt_in",)),
        ("We do not train on your content unless you expressly consent to such use.",
         ("opt_in",)),
        ("By default, conversations are not used to improve our models.", ("opt_in",)),
    ],
)  # fmt: skip
def test_training_rules_of_other_providers(text: str, expected: tuple[str, ...]) -> None:
    """Negation, opt-out, opt-in and bare use of content for training each give their value."""
    assert value(text, "training_use") == expected


@pytest.mark.parametrize(
    "text",
    [
        "You may not use the Output to develop models that compete with us.",
        "All employees with access to personal data receive regular privacy training.",
        "We use aggregated usage statistics and telemetry to improve the performance of the "
        "service.",
        "If you send us feedback, we may use it to improve our services without obligation to you.",
        "Our models are trained on publicly available information from the internet.",
    ],
)
def test_what_is_not_a_training_rule_for_users_content(text: str) -> None:
    """Prohibitions on the customer, staff training, telemetry, feedback and public data
    state no training position."""
    assert value(text, "training_use") is None


def test_a_rule_limited_to_a_tier_is_scoped_not_flattened() -> None:
    """A free tier's opt-out next to a paid tier's no-training keeps both, with the scope."""
    text = (
        "Customer Data submitted under a free plan may be used to train our models unless "
        "Customer opts out. We never use Customer Data to train models when you use the "
        "Enterprise edition."
    )
    p = read(text)["training_use"]
    assert p.value == ("not_used", "opt_out")
    by_value = {r.value: r.scope for r in p.readings}
    assert by_value == {"opt_out": "free plan", "not_used": "Enterprise edition"}
    assert p.scope == ("Enterprise edition", "free plan")


def test_safety_review_after_opt_out_is_an_exception_not_a_use() -> None:
    """Content reviewed for safety after an opt-out stays opt_out; no separate "used"."""
    text = (
        "You can opt out of training in your privacy settings. Content flagged for abuse may "
        "still be reviewed and used to train our safety classifiers."
    )
    assert value(text, "training_use") == ("opt_out",)


def test_a_bare_use_with_an_opt_out_elsewhere_is_opt_out() -> None:
    """A bare "we may use your content to train" plus "you can opt out" is one rule: opt_out."""
    text = (
        "We may use the content you share with us to train our models. You can opt out at "
        "any time from your account settings."
    )
    assert value(text, "training_use") == ("opt_out",)


# -- retention --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We delete your prompts from our servers within 30 days.", (30,)),
        ("Chat history is retained for up to eighteen months, after which it is purged.",
         (540,)),
        ("Backups are kept for no longer than 2 weeks.", (14,)),
        ("Upon termination, Provider shall destroy all Customer Data within sixty (60) days.",
         (60,)),
        ("Server logs are stored for 12 months. Deleted files are erased from backups within "
         "35 days.", (35, 360)),
    ],
)  # fmt: skip
def test_retention_periods_in_days(text: str, expected: tuple[int, ...]) -> None:
    """Explicit keeping or deletion periods become days (a month = 30, a year = 365)."""
    assert value(text, "retention_days") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Invoices are payable within 30 days of the invoice date.",
        "We may change these terms with 30 days' notice to you.",
        "You must be at least 18 years old to create an account.",
        "Customer may audit our records once every 12 months.",
        "We will respond to your data access request within one month.",
    ],
)
def test_payment_notice_age_audit_and_response_periods_are_not_retention(text: str) -> None:
    """Payment, notice, age, audit and response periods are not retention periods."""
    assert value(text, "retention_days") is None


def test_a_retention_table_under_a_how_long_heading_counts_without_a_verb() -> None:
    """Under a "How long we keep data" heading, each row or item's period counts."""
    text = (
        "## How long do we keep your information?\n- Account information: for 3 years after "
        "account closure.\n- Support tickets: 6 months from resolution."
    )
    assert value(text, "retention_days") == (180, 1095)


def test_a_lead_in_brings_its_list_into_the_sentence() -> None:
    """A lead-in "Within 45 days after termination, we will:" with "delete" items is retention."""
    text = (
        "Within forty-five (45) days after termination, the Processor will:\n"
        "- delete or return all Personal Data; and\n- certify the deletion in writing."
    )
    assert value(text, "retention_days") == (45,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Eligible API customers may request Zero Data Retention.", True),
        ("Unless zero data retention is activated, we keep inputs for 30 days.", True),
        ("API data is kept for 30 days.", None),
        ("Zero data retention is not available for this product.", None),
        ("We do not offer zero data retention.", None),
    ],
)
def test_zero_data_retention_offered_or_described(text: str, expected: object) -> None:
    """Zero data retention is true when offered or described as an option, null when the
    document does not say it or refuses it."""
    assert value(text, "zero_data_retention") is expected


# -- ownership ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inputs", "outputs"),
    [
        ("Customer owns all Output.", None, "customer"),
        ("You retain all intellectual property rights in the prompts you submit.",
         "customer", None),
        ("As between the parties, you own your Inputs and the Outputs.", "customer", "customer"),
        ("We hereby assign to you all of our right, title and interest in the generated content.",
         None, "customer"),
        ("The Company owns all outputs generated by the service.", None, "provider"),
        ("Outputs are the exclusive property of us and our licensors.", None, "provider"),
        ("Your content remains your property.", "customer", None),
        ("You do not own the Output, and it may be similar to other users' output.", None, None),
        ("You grant us a licence to use your content to operate the service.", None, None),
    ],
)  # fmt: skip
def test_ownership_of_inputs_and_outputs(text: str, inputs: object, outputs: object) -> None:
    """Customer ownership, assignment and provider ownership; a licence or a negation is no
    ownership position."""
    positions = read(text)
    assert (positions["input_ownership"].value, positions["output_ownership"].value) == (
        inputs,
        outputs,
    )


# -- audit --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Customer may, at its own cost, audit Processor's compliance with this DPA once per year.",
         "on_site"),
        ("Provider shall permit an independent auditor appointed by Customer to inspect its "
         "facilities.", "on_site"),
        ("Upon request, we will make available to you our most recent SOC 2 Type II report.",
         "reports"),
        ("We completed a SOC 2 audit and hold an ISO 27001 certification.", None),
        ("Administrators can export an audit log of all user activity.", None),
    ],
)  # fmt: skip
def test_audit_rights(text: str, expected: object) -> None:
    """An audit by the customer is on_site; reports given to it are reports; the provider's
    own certification or an audit log is no audit right."""
    assert value(text, "audit_right") == expected


def test_audit_notice_in_business_days() -> None:
    """Business days count as written: "10 business days' notice" → 10."""
    text = "Customer must give at least ten (10) business days' prior written notice of any audit."
    assert value(text, "audit_notice_days") == 10


# -- subprocessors ------------------------------------------------------------------------------


def test_subprocessor_notice_and_objection() -> None:
    """Prior notice of a new subprocessor is a notice period; the customer may object."""
    text = (
        "We will notify Customer at least fourteen (14) days before authorizing any new "
        "Sub-processor. Customer may object to the new Sub-processor on reasonable grounds."
    )
    positions = read(text)
    assert positions["subprocessor_notice_days"].value == 14
    assert positions["subprocessor_objection"].value is True


def test_an_objection_window_counted_from_the_notice_is_not_a_notice_period() -> None:
    """An objection window ("object within 30 days of the notice") is no notice period."""
    text = "Customer may object to a new subprocessor within thirty (30) days of such notice."
    positions = read(text)
    assert positions["subprocessor_notice_days"].value is None
    assert positions["subprocessor_objection"].value is True


def test_no_objection_right_is_null_not_false() -> None:
    """A document that denies an objection right states no objection position."""
    text = "Customer may not object to the engagement of subprocessors."
    assert value(text, "subprocessor_objection") is None


# -- changes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We may modify these Terms upon thirty (30) days' prior written notice.", 30),
        ("Amendments to this Agreement take effect 15 days after we post them.", 15),
        ("We will notify you of material changes to this Policy at least 60 days before they "
         "become effective. Other changes take effect 7 days after posting.", 60),
        ("We may update these Terms from time to time by posting the new version.", None),
        ("We may change our fees on 30 days' notice.", None),
    ],
)  # fmt: skip
def test_change_notice(text: str, expected: object) -> None:
    """Notice before changed terms apply; the material-change period when several; fees and
    changes without a period give none."""
    assert value(text, "change_notice_days") == expected


# -- effective date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Terms of Use\nLast updated: 3 March 2025", "2025-03-03"),
        ("# Privacy Notice\nEffective date: Sept. 1st, 2024", "2024-09-01"),
        ("Last revised on 2025-11-20.\nEffective as of December 1, 2025", "2025-12-01"),
        ("This policy was last modified on the 4th of July 2023.", "2023-07-04"),
        ("We updated these terms on 1 May 2024 to add a new section.", None),
        ("Previous version effective January 1, 2020", None),
    ],
)
def test_effective_date(text: str, expected: object) -> None:
    """The effective date wins over the last-updated one; a narrative date or an archived
    version's date is not the document's."""
    assert value(text, "effective_date") == expected


# -- more families of phrasing (other providers' typical wordings) ----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We never sell your data or use it to train third-party models.", ("not_used",)),
        ("We don't use your data to train our foundation models without your permission.",
         ("opt_in",)),
        ("Provider will not use Customer Data to train or improve its models, except as "
         "expressly authorized by Customer.", ("opt_in",)),
        ("Acme uses the content you submit and the generated responses to provide, improve "
         "and develop Acme products and machine learning technologies.", ("used",)),
        ("This means that your questions and the answers you receive may be used to train our "
         "language models.", ("used",)),
        ("You can turn off Improve the model for everyone in your data controls settings, and "
         "new conversations won't be used to train our models.", ("opt_out",)),
    ],
)  # fmt: skip
def test_training_negation_scope_consent_and_uses(text: str, expected: tuple[str, ...]) -> None:
    """A negation governs its coordinated verbs; "without your permission" and "except as
    authorized by Customer" are opt-in; "uses ... to improve" is use."""
    assert value(text, "training_use") == expected


def test_product_named_content_is_a_scope() -> None:
    """Content named by a product ("API Content", "consumer content") is the rule's scope."""
    text = (
        "We do not use API Content to improve our models. You may opt out of our use of "
        "consumer content to train our models."
    )
    p = read(text)["training_use"]
    assert p.value == ("not_used", "opt_out")
    assert {r.value: r.scope for r in p.readings} == {"not_used": "API", "opt_out": "consumer"}


def test_a_run_in_title_is_not_a_rule() -> None:
    """A title such as "(c) Use of Content to Improve Services." states no position itself."""
    text = (
        "(c) Use of Content to Improve Services. We do not use Customer Content to improve "
        "our models."
    )
    assert value(text, "training_use") == ("not_used",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deleted chats are removed within 14 days.", (14,)),
        ("Audit logs are retained for one (1) year.", (365,)),
        ("We dispose of paper records after seven years.", (2555,)),
        ("Analytics cookies expire after 13 months.", None),
    ],
)
def test_retention_verbs_and_what_is_not_retention(text: str, expected: object) -> None:
    """Removal, disposal and log retention count; cookie lifetimes do not."""
    assert value(text, "retention_days") == expected


@pytest.mark.parametrize(
    ("text", "inputs", "outputs"),
    [
        ("As between the parties, Customer owns all Customer Data and Outputs.",
         "customer", "customer"),
        ("All right, title and interest in the Outputs shall vest in Customer.",
         None, "customer"),
        ("Customer is the sole owner of all Customer Content.", "customer", None),
        ("We don't claim ownership rights over your User Material.", "customer", None),
    ],
)  # fmt: skip
def test_more_ownership_wordings(text: str, inputs: object, outputs: object) -> None:
    """Conjoined objects, vesting, "is the owner of" and disclaimed ownership."""
    positions = read(text)
    got = (positions["input_ownership"].value, positions["output_ownership"].value)
    assert got == (inputs, outputs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will provide a copy of our current ISO 27001 certificate and SOC 2 report upon "
         "request.", "reports"),
        ("Customer's audit rights under this DPA are satisfied by the audit reports described "
         "above.", None),
        ("The Processor shall allow for and contribute to audits, including inspections, "
         "conducted by the Controller.", "on_site"),
    ],
)  # fmt: skip
def test_reports_on_request_and_audits_by_the_controller(text: str, expected: object) -> None:
    """Reports given on request are reports; a mention of audit rights alone is none."""
    assert value(text, "audit_right") == expected


def test_a_new_service_provider_notice_counts_as_subprocessor_notice() -> None:
    """Processors named "service providers" still give the subprocessor notice period."""
    text = (
        "We will inform you of any intended addition of a new service provider at least "
        "thirty (30) days in advance."
    )
    assert value(text, "subprocessor_notice_days") == 30


def test_fee_changes_are_not_term_changes() -> None:
    """A notice for changed fees, in its own sentence after the fee sentence, is not one for
    changed terms."""
    text = (
        "We may change the fees for the Services from time to time. We will notify you at "
        "least 30 days in advance of any such change."
    )
    assert value(text, "change_notice_days") is None


def test_a_privacy_statement_change_notice() -> None:
    """A privacy statement's notice of material changes is its change notice."""
    text = (
        "If we make material changes to this Privacy Statement, we will provide at least 45 "
        "days prior notice by email."
    )
    assert value(text, "change_notice_days") == 45


# -- what a whole-document reading must not pick up --------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Each party will keep the other's Confidential Information confidential for five (5) "
         "years after termination.", "retention_days"),
        ("## How we keep your data secure\nPasswords expire after 90 days.", "retention_days"),
        ("You can access, inspect and correct your personal data at any time.", "audit_right"),
        ("## Changes to the Services and these Terms\nWe may modify or discontinue features of "
         "the Services with 30 days' notice.", "change_notice_days"),
        ("We use information about how you interact with our website to improve the Services.",
         "training_use"),
    ],
)  # fmt: skip
def test_look_alike_sentences_state_nothing(text: str, key: PositionKey) -> None:
    """Confidentiality survival, password expiry, inspecting one's own data, changes to
    features and telemetry look like positions but state none."""
    assert value(text, key) is None


def test_saved_and_archived_data_periods() -> None:
    """Saving and archiving for a period are retention too."""
    text = "Voice recordings are saved for 3 months and then archived for a further two years."
    assert value(text, "retention_days") == (90, 730)


@pytest.mark.parametrize(
    ("text", "inputs", "outputs"),
    [
        ("You own the images you generate, to the extent permitted by law.", None, "customer"),
        ("You own all Assets you create with the Services.", None, "customer"),
        ("Acme retains all intellectual property rights in its models, outputs and platform.",
         None, "provider"),
    ],
)  # fmt: skip
def test_generated_content_is_output_and_a_provider_may_keep_it(
    text: str, inputs: object, outputs: object
) -> None:
    """Content the user generates is output, not input; a provider retaining rights in
    outputs owns them."""
    positions = read(text)
    got = (positions["input_ownership"].value, positions["output_ownership"].value)
    assert got == (inputs, outputs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We don't train our models on data from business customers or organizational "
         "accounts.", ("not_used",)),
        ("We do not use your personal information to train our foundation models.",
         ("not_used",)),
        ("Your conversations help train our models. If you turn off Chat activity, new "
         "chats are not used for training.", ("opt_out",)),
    ],
)  # fmt: skip
def test_data_of_customers_and_activity_controls(text: str, expected: tuple[str, ...]) -> None:
    """Data of a class of customers is content; turning off an activity control is opt-out."""
    assert value(text, "training_use") == expected


def test_disapproving_a_new_subprocessor_is_an_objection() -> None:
    """A customer that may terminate when it does not approve a new subprocessor may object."""
    text = (
        "If Customer does not approve of a new Subprocessor, Customer may terminate the "
        "affected Online Service without penalty."
    )
    assert value(text, "subprocessor_objection") is True


def test_a_stamp_date_wins_over_a_date_in_running_text() -> None:
    """A date in running text ("Effective May 1, 2026, the following changes apply") is not
    the document's date when a stamp gives one."""
    text = "\n".join(
        ["# Terms", "Last updated: 2 April 2026"]
        + [f"Section {i} text of the terms that says nothing about dates." for i in range(15)]
        + ["Effective May 1, 2026, the following changes apply to paid plans and accounts."]
    )
    assert value(text, "effective_date") == "2026-04-02"


def test_a_rule_for_one_kind_of_content_or_one_product_is_one_more_value() -> None:
    """Connected apps' content and one product's conversations not used, next to an opt-out
    for chats: each rule is a value with its scope (the gold README's rule)."""
    text = (
        "We may use your chats to train our models unless you opt out. Content from connected "
        "apps is not used to train our models. Copilot Health conversations are never used "
        "for model training."
    )
    p = read(text)["training_use"]
    assert p.value == ("not_used", "opt_out")
    scopes = {r.scope for r in p.readings if r.value == "not_used"}
    assert scopes == {"connected apps", "Copilot Health"}


def test_an_exception_list_scopes_the_opt_out_by_its_own_item() -> None:
    """In "not used except (a) on the free plan where not opted out, (b) for Beta Models",
    the opt-out belongs to the free plan and the base rule stays not_used."""
    text = (
        "Acme will not use Customer Data to train its models except (a) for Customer Data "
        "submitted under a free plan, where Customer has not opted out of training, or (b) "
        "when Customer uses Beta Models."
    )
    p = read(text)["training_use"]
    assert p.value == ("not_used", "opt_out")
    assert {r.value: r.scope for r in p.readings}["opt_out"] == "free plan"


def test_purposes_of_a_licence_over_content_include_improving() -> None:
    """A licence whose listed purposes include improving the services is training_use used."""
    text = (
        "## Licence to your content\nThe rights you grant us under this licence are for the "
        "following purposes:\n- providing the service to you;\n- developing and improving our "
        "products and technologies."
    )
    assert value(text, "training_use") == ("used",)


def test_notice_of_material_changes_without_naming_the_terms() -> None:
    """ "Material modifications take effect 30 days after notice" is the change notice."""
    text = "Material modifications will take effect thirty (30) days after we notify you by email."
    assert value(text, "change_notice_days") == 30


@pytest.mark.parametrize(
    "text",
    [
        "You can use the API to fine-tune models on your own data and files.",
        "We may use aggregated and de-identified Customer Data to improve our services.",
    ],
)
def test_the_customer_training_its_own_models_or_derived_data_is_no_training_use(
    text: str,
) -> None:
    """A customer fine-tuning its own models, or only aggregated/de-identified data being
    used, states no training use of the customer's content."""
    assert value(text, "training_use") is None


def test_an_age_limit_is_not_a_retention_period() -> None:
    """ "Users aged 13 years or older" next to a deletion sentence gives no period."""
    text = "We delete accounts and data of users who are not 13 years or older when we learn of it."
    assert value(text, "retention_days") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Last updated: 12/31/2024", "2024-12-31"),
        ("Effective date: 31.01.2025", "2025-01-31"),
        ("Effective: 03/04/2025", None),
        ("Published: 2025/06/01", "2025-06-01"),
    ],
)
def test_numeric_dates_only_when_unambiguous(text: str, expected: object) -> None:
    """A numeric date is read when day and month cannot be confused, never guessed."""
    assert value(text, "effective_date") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("If you do not want your Content used to train our models, you may email us to opt "
         "out.", ("opt_out",)),
        ("Customers can submit an opt-out request to exclude their prompts from model "
         "training.", ("opt_out",)),
        ("Beta Models may use your prompts to train our models. If you do not want your prompts "
         "used for training, do not use Beta Models.", ("used",)),
        ("Enterprise customers' data is never used for model training.", ("not_used",)),
    ],
)  # fmt: skip
def test_opt_out_by_request_and_no_choice_but_to_stay_away(
    text: str, expected: tuple[str, ...]
) -> None:
    """Contacting the provider to opt out is an opt-out; "do not use the product" is no
    choice, so the product's use stays "used"."""
    assert value(text, "training_use") == expected


def test_a_scope_is_never_just_the_services() -> None:
    """ "If Customer uses the Services to delete data" does not scope the rule to "Services"."""
    text = "If Customer uses the Services to delete Customer Data, we delete it within 90 days."
    p = read(text)["retention_days"]
    assert (p.value, p.scope) == ((90,), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Processor shall make available all information necessary to demonstrate "
         "compliance and allow for audits, including inspections, by the Controller.", "on_site"),
        ("Audits conducted by Customer or its auditor shall take place during business hours.",
         "on_site"),
        ("We allow an independent auditor to audit our security controls every year.", None),
        ("Provider will respond to Customer's security questionnaire once per year.", "reports"),
    ],
)  # fmt: skip
def test_audits_by_the_customer_not_by_the_providers_own_auditor(
    text: str, expected: object
) -> None:
    """An audit by the customer (or an auditor it mandates) is on_site; the provider's own
    auditor is not; answering questionnaires is reports."""
    assert value(text, "audit_right") == expected
