"""Word lists and code lists that synthetic people are drawn from.

Names are common English given and family names; streets are built from a list of common
street names and endings; phone numbers use only Ofcom's ranges reserved for drama, so none is
a real line; SNOMED CT concepts are illustrative examples for each clinical group.
"""

from __future__ import annotations

FEMALE_NAMES = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Sophia Grace Freya Willow Florence Emily "
    "Ella Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Harper Alice Matilda "
    "Ruby Emilia Maya Margaret Susan Patricia Elizabeth Mary Jean Barbara Linda Sarah Karen "
    "Janet Christine Julie Helen Joan Dorothy Pauline Valerie Sandra Jennifer Anne Angela "
    "Hannah Jessica Lucy Rebecca Laura Amy Zara Aisha Fatima Priya"
).split()

MALE_NAMES = (
    "Oliver George Noah Arthur Muhammad Leo Oscar Harry Archie Jack Henry Charlie Freddie "
    "Theodore Thomas Finley Theo Alfie Jacob William Isaac Tommy Joshua James Lucas Alexander "
    "Arlo Roman John David Michael Peter Robert Richard Paul Christopher Stephen Mark Andrew "
    "Anthony Kenneth Brian Alan Colin Keith Derek Raymond Graham Ian Daniel Matthew Samuel "
    "Benjamin Adam Ryan Mohammed Ahmed Rajesh Tariq"
).split()

FAMILY_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb "
    "Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes "
    "Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham "
    "Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders "
    "Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson "
    "Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes "
    "Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods "
    "Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed "
    "Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop "
    "Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne "
    "Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss "
    "McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon "
    "Doyle Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins "
    "Read Miles Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater "
    "Austin Sullivan Whitehead Mann Frost Lambert Stephens Blake Akhtar Lynch Goodwin Barton "
    "Woodward Thomson Cunningham Quinn Barnett Baxter Bibi Clayton Nash Greenwood Jennings "
    "Holt Kemp Poole Gallagher Bond Stokes Tucker Davidson Fowler Heath Norman Middleton "
    "Lawson Banks French Stanley Jarvis Gibbs Ferguson Hayward Carroll Douglas Dickinson Todd "
    "Barlow Peters Lucas Knowles Hartley Miah Simmons Morton Alexander Field Morrison Norris "
    "Townsend Preston Hancock Thornton Baldwin Burrows Briggs Storey Pike Howe Wong Chen Nguyen"
).split()

STREET_NAMES = (
    "High Church Station Victoria Green Manor Park Queens Kings Mill School New London North "
    "South West East Albert Grange Chapel Springfield Windsor York Main Alexandra Elm Oak "
    "Beech Ash Willow Cedar Birch Maple Holly Hawthorn Chestnut Meadow Orchard Riverside Mill "
    "Bridge Castle Abbey Priory Market Broad Long Forest Hill Valley Field Brook Farm Cross "
    "Stanley Cromwell Nelson Wellington Trafalgar Marlborough Balmoral Osborne Sandringham "
    "Chester Derby Lancaster Clarence Cambridge Oxford Warwick Kent Devon Essex Norfolk "
    "Suffolk Dorset Somerset Cornwall Grosvenor Belmont Fairfield Highfield Woodland Hillside "
    "Heath Moor Lime Rowan Sycamore Poplar Laurel Lilac Primrose Bluebell Heather Clover"
).split()

STREET_ENDINGS = (
    "Road Street Lane Avenue Close Drive Way Gardens Crescent Place Grove Terrace Court "
    "Mews Rise View Walk Square Hill Row"
).split()

# Ofcom numbers reserved for drama: (prefix, digits to append).
PHONE_RANGES = (
    ("07700 900", 3),
    ("07700 900", 3),
    ("07700 900", 3),
    ("01632 960", 3),
    ("020 7946 0", 3),
    ("0113 496 0", 3),
    ("0117 496 0", 3),
    ("0121 496 0", 3),
    ("0161 496 0", 3),
)

# Clinical groups of the shielded patient list, their shares and illustrative SNOMED CT codes.
CLINICAL_GROUPS = (
    ("transplant", 0.04, ("70536003",)),
    ("cancer_chemo", 0.27, ("363346000", "367336001", "254637007")),
    ("respiratory_severe", 0.36, ("13645005", "195967001", "190905008")),
    ("rare_disease", 0.10, ("55464009", "24700007")),
    ("immunosuppression", 0.21, ("234532001", "86406008", "69896004")),
    ("pregnant_heart_disease", 0.02, ("77386006", "56265001")),
)

# Practice code letters (the first character of an English GP practice code).
PRACTICE_LETTERS = "ABCDEFGHJKLMNPY"

# Postcode areas used for synthetic postcodes (English areas; letters only).
POSTCODE_AREAS = (
    "AL B BA BB BD BH BL BN BR BS CA CB CH CM CO CR CT CV CW DA DE DH DL DN DT DY E EC EN EX "
    "FY GL GU HA HD HG HP HR HU HX IG IP KT L LA LE LN LS LU M ME MK N NE NG NN NR NW OL OX "
    "PE PL PO PR RG RH RM S SE SG SK SL SM SN SO SP SR SS ST SW SY TA TF TN TQ TR TS TW UB W "
    "WA WC WD WF WN WR WS WV YO"
).split()

# Letters used in the unit part of synthetic postcodes (C I K M O V are not used there).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
