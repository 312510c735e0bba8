"""training_use on other providers' wordings: negation, opt-out, opt-in, bare use, scope."""

from __future__ import annotations

import pytest
from position_helpers import read, value


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('We do not use your Content to train our models unless you choose to share it with us.',
         ('opt_in',)),
        ('Your conversations may be reviewed by our AI trainers to improve our systems.',
         None),
        ('Data submitted through the API is not used for training unless you opt in.',
         ('opt_in',)),
        ('By using the Services, you agree that we may use your Inputs to improve our models.',
         ('used',)),
        ('We use your Inputs to train our models only with your consent.',
         ('opt_in',)),
        ('Customer Content is used solely to provide the Services and not to train models.',
         ('not_used',)),
        ('We may use Content to provide, maintain, develop, and improve our Services.',
         ('used',)),
        ('We do not sell or share your personal information with third parties for their '
         'own marketing.',
         None),
        ('You retain ownership of the prompts you submit; we do not use them to train our models.',
         ('not_used',)),
        ('Training our models on your data requires your explicit opt-in.',
         ('opt_in',)),
        ('Unless you disable the setting, your chats are used to improve our models.',
         ('opt_out',)),
        ('Team and Enterprise workspaces are excluded from model training.',
         ('not_used',)),
        ('We may train our models on public web data, licensed datasets and data from '
         'human trainers.',
         None),
        ('Our models were trained on a large corpus of text.',
         None),
        ('To improve the Service, we analyze aggregated usage metrics such as response latency.',
         None),
        ('We will not use Customer Data for any purpose other than providing the Services.',
         None),
        ('Provider shall not train, retrain or fine-tune any model using Customer Data.',
         ('not_used',)),
        ('Customer Data will never be used to train models made available to other customers.',
         ('not_used',)),
        ('You can delete your chat history at any time.',
         None),
        ('If you are a Free user, your prompts may be used to improve our models; you '
         'can opt out in Settings.',
         ('opt_out',)),
    ],
)  # fmt: skip
def test_a_sweep_of_training_wordings(text: str, expected: object) -> None:
    """Choices, exclusions, prohibitions on the provider, public corpora, telemetry and
    unrelated negations each read as a provider's document means them."""
    assert value(text, "training_use") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## How we use your information\nWe use your information to improve our models.\n"
         "You can opt out of marketing emails at any time.", None),
        ("We use your chats to train our models; you can opt out of marketing emails at any "
         "time.", ("used",)),
        ("You may opt out of the sale of your personal information, and you can opt out of "
         "model training in settings.", ("opt_out",)),
    ],
)  # fmt: skip
def test_opting_out_of_marketing_or_sale_is_not_a_training_choice(
    text: str, expected: object
) -> None:
    """An opt-out of marketing, cookies or the sale of data, even next to a training
    sentence, is no training choice."""
    assert value(text, "training_use") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## How we use and improve our Services\nWe do not share your files with advertisers, "
         "and we do not use them for advertising.", None),
        ("We use your data to improve our Services. We share your content with partners only "
         "with your consent.", ("used",)),
        ("We may use your conversations to train our models.\nYou can turn this off in "
         "Settings.", ("opt_out",)),
    ],
)  # fmt: skip
def test_around_a_training_sentence_only_an_explicit_choice_counts(
    text: str, expected: object
) -> None:
    """Under a training heading or after a training sentence, an explicit opt-out counts;
    a negation or a consent about something else does not."""
    assert value(text, "training_use") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We do not use your data to train our models, except where you have explicitly opted "
         "in.", ("opt_in",)),
        ("Your data will not be used for training without your permission.", ("opt_in",)),
        ("Customers on our Enterprise plan may opt in to share data for model improvement.",
         ("opt_in",)),
        ("By default, chats from Free and Plus accounts are used to train our models.",
         ("used",)),
    ],
)  # fmt: skip
def test_defaults_and_consent(text: str, expected: object) -> None:
    """Not used except where the user opted in, or not without permission, is opt-in; a use
    that is the default with no choice stated is "used"."""
    assert value(text, "training_use") == expected
