"""The promotional detector's weights, written by bench/promotion.py.

Do not edit by hand: change the features or the data and run
``.venv/bin/python -m bench.promotion train``. Fitted on 372 training
posts; THRESHOLD is the lowest score at which 5-fold cross-validated
precision on those posts stays at or above 0.95.
"""

BIAS = -2.4688
THRESHOLD = 0.5150
# One weight per feature, in FEATURE_NAMES order.
WEIGHTS = (
    1.0939,  # buy
    1.0249,  # signup
    0.7455,  # click
    1.1492,  # offer
    0.6440,  # urgency
    0.9542,  # product
    0.7951,  # event
    -0.9507,  # first_person
    -0.7348,  # experience
    1.2630,  # business_voice
    0.5615,  # question
    -0.4047,  # mention
    1.6863,  # links
    0.5554,  # own_domain
    0.6819,  # repeated_link
    0.5508,  # broadcaster
    0.1583,  # hashtags
    0.3974,  # exclamations
    0.6629,  # emoji
    0.4268,  # shouting
    0.0208,  # ad_tag
    0.0908,  # tracking_link
    -0.1244,  # reply
)
