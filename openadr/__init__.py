"""OpenADR 2.0b: typed message models, lxml codec with XSD validation, and the flex-offer profile."""
