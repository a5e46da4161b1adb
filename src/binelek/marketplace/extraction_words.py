"""The words and class names product pages use around prices and stock, in the languages shops
write in: what marks a price, an old price, a foreign section (recommendations, site chrome), a fee,
an instalment, a unit price, a saving, and the stock states. Kept apart from the logic in
`extraction_dom` so the vocabulary can grow without touching it."""

# ruff: noqa: RUF001  (shop words in many scripts are meant)

from __future__ import annotations

import re

PRICE_ATTR = re.compile(
    r"price|preis|prix|precio|prezzo|preco|preço|cena|cijena|hinta|fiyat|kaina|цена|amount", re.IGNORECASE
)
OLD_TOKENS = frozenset({
    "old", "was", "strike", "striked", "strikethrough", "crossed", "before", "original", "rrp", "uvp",
    "msrp", "regular", "previous", "compare", "reference", "statt", "retail", "nonsale", "barre", "barred",
    "barrato", "tachado", "durchgestrichen",
})  # fmt: skip
OLD_SQUASHED = (
    "oldprice", "priceold", "wasprice", "pricewas", "listprice", "regularprice", "originalprice",
    "linethrough", "compareat", "compareprice", "previousprice", "beforeprice", "streichpreis",
    "standardprice", "retailprice", "pricecompare", "strikeprice", "pricestrike", "crossedprice",
)  # fmt: skip
OLD_TAGS = frozenset({"del", "s", "strike"})
# Sections that hold other products or site chrome, matched in ids and classes with separators removed.
FOREIGN_SQUASHED = (
    "related", "recommend", "carousel", "similar", "upsell", "crosssell", "sponsor", "alsobought",
    "alsoviewed", "alsolike", "youmay", "youmight", "customersalso", "suggest", "comparison",
    "bundle", "accessor", "otherproduct", "moreproduct", "morefrom", "recentlyviewed", "lastviewed",
    "lastseen", "minicart", "minibasket", "cartpreview", "headercart", "megamenu", "navigation",
    "breadcrumb", "footer", "newsletter", "relatedads", "reviews", "productlist", "productgrid",
    "crossselling", "wishlist", "boughttogether", "fbt", "p13n", "personali",
)  # fmt: skip
FOREIGN_TAGS = frozenset({"header", "footer", "nav", "aside", "select", "option"})
SECTION_TAGS = frozenset({"main", "article", "section"})
SECTION_CHROME_TAGS = frozenset({"header", "footer"})
FEE_SECTION = re.compile(r"delivery|shipping|versand|livraison|envio|envío|spedizione|postage|frete", re.I)

# Words before or after an amount that make it something other than the product's price.
CUE_INSTALMENT = (
    r"payments?\b|instal+ments?|monthly|/\s*mo(?:nth)?\b|per month|a month|months?\b|monat|mois\b|"
    r"mensual|meses|mese\b|cuotas?|raten?\b|parcelas?|\bx\s*$|^\s*x\b|klarna|afterpay|affirm|financ|"
    r"\bfois\b|\bveces\b|\brate\b"
)
CUE_SHIPPING = (
    r"shipping|delivery|deliver|livraison|versand|lieferung|envío|envio|spedizione|frete|porto\b|"
    r"dostava|doprava|verzend|postage|\bfees?\b|import|доставка|dostawa|משלוח|شحن|توصيل|運費|运费|送料|배송비"
)
CUE_UNIT = (
    r"/\s*(?:\d+\s*)?(?:kg|g|l|ml|cl|m|m2|m²|st|stk|unit|unité|pc|pcs|piece|stück|each|oz|lb)\b|"
    r"per\s+(?:kg|unit|item|litre|liter|100)|\bpro\s+(?:kg|stück|liter|100)|\ble\s+kg|\bal\s+kg|"
    r"\bpor\s+kg|grundpreis|unit price|prix unitaire|precio unitario|prezzo unitario|每"
)
CUE_TAX_EXCLUDED = (
    r"excl|exkl|zzgl|ohne mwst|netto|hors tax|\bht\b|sin iva|senza iva|sans tva|without vat|\bex\.? vat|"
    r"pre-?tax|brez ddv|bez dph|bez vat|bez pdv|bez dph|nettó"
)
# An auction's estimate or opening bid is not what the lot sells for now.
CUE_AUCTION = r"estimate|starting price|opening bid|startpreis|prix de départ|mise à prix|precio de salida"
# Other sellers' and second-hand offers on a marketplace page: "Used & new (5) from", "Buy used:".
CUE_OTHER_OFFERS = (
    r"(?:options?|offers?|sellers?|angebote|offres|ofertas|offerte|vendeurs|venditori)\W.{0,16}"
    r"(?:from|ab|à partir de|desde|da|de)\s*:?\s*$|\bused\b|gebraucht|d'occasion|usato|usado|"
    r"refurbished|renewed|reconditionné|generalüberholt|ricondizionato|reacondicionado"
)
# Not "%" nor "off": a "-20%" or "20% off" badge stands right before the sale price it is about.
CUE_SAVING = (
    r"\bsave\s*:?\s*$|saving|you save|sparen|ersparnis|économ|ahorr|risparmi|economiz|rabatt|discount|"
    r"\bpoints?\b|cashback|gift card|bonus|coupon|gutschein|voucher|省|點|点|ポイント"
)
CUE_THRESHOLD = r"free|gratis|gratuit|kostenlos|orders? over|ab einem|up to|bis zu|hasta|jusqu|min\."
CUE_OLD = (
    r"\bwas\b|\brrp\b|\buvp\b|statt|list price|listenpreis|prix conseillé|ancien prix|prix de référence|"
    r"precio anterior|\bantes\b|regular price|typical price|original price|compare at|prezzo consigliato|"
    r"instead of|retail price|msrp|empf\.|\bde\s*:|prix barré|\bpvp\b|\bvorher\b|原價|原价|建議售價|建议售价|"
    r"定價|参考価格|通常価格|希望小売価格"
)
# Cues are read in the words before an amount and right after it (a unit or "/month" follows the
# amount; "Free delivery" after a price is about the price, not a fee).
CUES_BEFORE = [
    ("instalment", re.compile(CUE_INSTALMENT, re.IGNORECASE)),
    ("shipping", re.compile(CUE_SHIPPING, re.IGNORECASE)),
    ("unit", re.compile(CUE_UNIT, re.IGNORECASE)),
    ("saving", re.compile(CUE_SAVING, re.IGNORECASE)),
    ("threshold", re.compile(CUE_THRESHOLD, re.IGNORECASE)),
    ("tax excluded", re.compile(CUE_TAX_EXCLUDED, re.IGNORECASE)),
    ("auction", re.compile(CUE_AUCTION, re.IGNORECASE)),
    ("other offers", re.compile(CUE_OTHER_OFFERS, re.IGNORECASE)),
]
# After an amount only what follows it directly counts ("/kg", "a month", "+ shipping", "off"):
# the next line's words ("You save: £6") are about the next amount.
CUES_AFTER = [
    ("instalment", re.compile(
        r"^\W{0,3}(?:/\s*mo(?:nth)?\b|per month|a month|monthly|/\s*mois|par mois|/\s*monat|im monat|"
        r"mensual|al mes|/\s*mes\b|x\s*\d|for \d+ months)", re.IGNORECASE)),
    ("unit", re.compile(rf"^\W{{0,3}}(?:{CUE_UNIT})", re.IGNORECASE)),
    ("shipping", re.compile(
        r"^\W{0,3}(?:shipping|delivery|postage|p&p|livraison|frais de port|versand|envío|envio|spedizione)",
        re.IGNORECASE)),
    ("saving", re.compile(r"^\W{0,3}(?:off\b|discount|rabatt|de réduction|de descuento)", re.IGNORECASE)),
    ("tax excluded", re.compile(rf"^\W{{0,3}}(?:{CUE_TAX_EXCLUDED})", re.IGNORECASE)),
]  # fmt: skip
OLD_CUE = re.compile(CUE_OLD, re.IGNORECASE)
# A label that introduces the current price, at the end of the words before it.
PRICE_LABEL = re.compile(
    r"(?:price|our price|sale price|deal price|now|preis|jetzt|nur|prix|precio|ahora|prezzo|ora|preço|"
    r"por|cena|prijs|nu|pris|hinta|цена|fiyat|価格|售價|售价|特價|特价|直購價)\s*:?\s*$",
    re.IGNORECASE,
)
FROM = re.compile(
    r"(?:\bfrom|\bab|à partir de|\bdès|\bdesde|\ba partir de|\bda|\bod|\bvanaf|\bот|起)\s*:?\s*$",
    re.IGNORECASE,
)

ADD_TO_CART = re.compile(
    r"add(?:ing)?[\s_-]*to[\s_-]*(?:cart|basket|bag|trolley)|addtocart|add[\s_-]?to[\s_-]?cart|buy[\s_-]*now|"
    r"in den (?:warenkorb|einkaufswagen)|warenkorb|ajouter au panier|ajouter|añadir al carrito|añadir|"
    r"agregar al carrito|comprar|aggiungi al carrello|aggiungi|adicionar ao carrinho|in winkelwagen|"
    r"do koszyka|в корзину|купить|kupi|köp|læg i kurv|legg i handlekurv|sepete ekle|カートに入れる|"
    r"加入購物車",
    re.IGNORECASE,
)
OUT_OF_STOCK = re.compile(
    r"out of stock|sold out|currently unavailable|temporarily unavailable|no longer available|"
    r"not available|unavailable|nicht verfügbar|nicht lieferbar|nicht auf lager|ausverkauft|vergriffen|"
    r"épuisé|rupture de stock|indisponible|plus disponible|agotado|sin stock|no disponible|"
    r"fuera de stock|sin existencias|esaurito|non disponibile|esgotado|indisponível|uitverkocht|"
    r"niet (?:op voorraad|leverbaar|beschikbaar)|niedostępny|wyprzedany|brak w magazynie|нет в наличии|"
    r"slutsåld|udsolgt|utsolgt|tükendi|在庫切れ|缺貨|售完",
    re.IGNORECASE,
)
PREORDER = re.compile(r"pre-?order|vorbestell|précommande|pré-commande|preventa|pre-?venta|prenota", re.I)
BACKORDER = re.compile(r"back-?order|on back order|nachbestellt|en réapprovisionnement", re.IGNORECASE)
IN_STOCK = re.compile(
    r"in stock|available now|ready to ship|auf lager|sofort lieferbar|lieferbar|vorrätig|en stock|"
    r"(?<!in)(?<!non )(?<!no )disponible|en existencia|disponibile|in magazzino|em estoque|"
    r"op voorraad|dostępny|в наличии|på lager|stokta",
    re.IGNORECASE,
)
# Class names that name one state: templates shown or hidden by CSS, not the current state.
STATE_CLASS = re.compile(
    r"unavail|out[-_]?of[-_]?stock|sold[-_]?out|\boos\b|not[-_]?available|in[-_]?stock|\bavailable\b|"
    r"is[-_]available|nostock|no[-_]stock",
    re.IGNORECASE,
)
# In-store pickup is not whether the product can be bought online.
STORE_PICKUP = re.compile(
    r"pick[\s-]?up|in[\s-]store|click\s*(?:&|and)\s*collect|retrait|abholung|im markt|en tienda|in negozio|"
    r"en magasin|w sklepie",
    re.IGNORECASE,
)
# Few alternatives on purpose: lexbor's cost grows with each one (about 2.5 ms each on a 1.4 MB page).
STOCK_SELECTOR = ", ".join(
    [
        f"[{attribute}*={word} i]"
        for attribute in ("class", "id")
        for word in ("avail", "stock", "dispon", "lager")
    ]
    + ["[itemprop*=avail i]"]
)
