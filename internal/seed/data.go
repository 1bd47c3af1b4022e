package seed

// The raw data the generator draws from. Everything here is a literal table so that the output
// depends only on the seed and this file; derived tables (full names, company names, ASCII
// keys, house numbers) are built once from these in tables.go.

// city is one postal locality; weight is its relative share of customers within the country.
type city struct {
	name     string
	district string // city part, empty where people usually leave it out
	zip      string // five digits without a space, as the shop stores it
	weight   int
}

// countryData holds everything that differs between the Czech and the Slovak customers.
type countryData struct {
	code        string
	maleFirst   []string
	femaleFirst []string
	// surnames holds the male and the female form of each family name: the female form is
	// not derivable by a rule (Novák/Nováková, Černý/Černá, Krejčí/Krejčí).
	surnames     [][2]string
	streets      []string
	cities       []city
	domains      []weighted // public mail providers
	companyTLD   string     // for company web domains derived from the company name
	companyBases []string   // company names without the legal form
	additional   []string   // billingAdditional / deliveryAdditional values
	phone        phoneData
}

// weighted is a table value with a relative frequency.
type weighted struct {
	value  string
	weight int
}

// phoneData describes how customers of a country type their phone number.
type phoneData struct {
	prefixes []string   // the first three digits of the nine-digit national number
	forms    []weighted // layout: A, B and C stand for the three-digit groups of the number
}

var czech = countryData{
	code: "CZ",
	maleFirst: []string{
		"Jan", "Petr", "Jiří", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav",
		"Zdeněk", "Václav", "Michal", "František", "Jakub", "Milan", "Karel", "Lukáš", "David",
		"Ondřej", "Vojtěch", "Filip", "Adam", "Matěj", "Radek", "Marek", "Daniel", "Roman",
		"Vladimír", "Stanislav", "Aleš", "Libor", "Dominik", "Štěpán", "Vít", "Lubomír", "Šimon",
	},
	femaleFirst: []string{
		"Jana", "Marie", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena",
		"Petra", "Veronika", "Jaroslava", "Tereza", "Martina", "Michaela", "Jitka", "Helena",
		"Ludmila", "Zdeňka", "Ivana", "Monika", "Eliška", "Zuzana", "Markéta", "Barbora",
		"Kristýna", "Klára", "Šárka", "Dagmar", "Renata", "Simona", "Natálie", "Adéla", "Žaneta",
	},
	surnames: [][2]string{
		{"Novák", "Nováková"}, {"Svoboda", "Svobodová"}, {"Novotný", "Novotná"},
		{"Dvořák", "Dvořáková"}, {"Černý", "Černá"}, {"Procházka", "Procházková"},
		{"Kučera", "Kučerová"}, {"Veselý", "Veselá"}, {"Horák", "Horáková"},
		{"Němec", "Němcová"}, {"Marek", "Marková"}, {"Pospíšil", "Pospíšilová"},
		{"Pokorný", "Pokorná"}, {"Hájek", "Hájková"}, {"Král", "Králová"},
		{"Jelínek", "Jelínková"}, {"Růžička", "Růžičková"}, {"Beneš", "Benešová"},
		{"Fiala", "Fialová"}, {"Sedláček", "Sedláčková"}, {"Doležal", "Doležalová"},
		{"Zeman", "Zemanová"}, {"Kolář", "Kolářová"}, {"Navrátil", "Navrátilová"},
		{"Čermák", "Čermáková"}, {"Vaněk", "Vaňková"}, {"Urban", "Urbanová"},
		{"Blažek", "Blažková"}, {"Kříž", "Křížová"}, {"Kovář", "Kovářová"},
		{"Kratochvíl", "Kratochvílová"}, {"Bartoš", "Bartošová"}, {"Vlček", "Vlčková"},
		{"Polák", "Poláková"}, {"Musil", "Musilová"}, {"Krejčí", "Krejčí"},
		{"Šimek", "Šimková"}, {"Konečný", "Konečná"}, {"Malý", "Malá"},
		{"Holub", "Holubová"}, {"Štěpánek", "Štěpánková"}, {"Kadlec", "Kadlecová"},
		{"Dušek", "Dušková"}, {"Žák", "Žáková"}, {"Šťastný", "Šťastná"},
		{"Řezníček", "Řezníčková"}, {"Hrubý", "Hrubá"}, {"Mareš", "Marešová"},
	},
	streets: []string{
		"Hlavní", "Nádražní", "Masarykova", "Husova", "Palackého", "Komenského", "Školní",
		"Zahradní", "Jiráskova", "Smetanova", "Na Příkopě", "Dlouhá", "Krátká", "Polní",
		"Lesní", "Sokolská", "Havlíčkova", "Tyršova", "Nerudova", "Vinohradská", "Karlova",
		"Žižkova", "Revoluční", "U Školy", "Na Výsluní", "K Rybníku", "třída Svobody",
		"náměstí Míru", "Riegrova", "Štefánikova", "Průmyslová", "Pod Lesem", "U Hřiště",
		"Za Humny", "Bezručova", "Čapkova", "5. května", "28. října", "Družstevní", "Luční",
	},
	cities: []city{
		{"Praha", "Praha 1", "11000", 4}, {"Praha", "Praha 2", "12000", 4},
		{"Praha", "Praha 3", "13000", 5}, {"Praha", "Praha 4", "14000", 6},
		{"Praha", "Praha 5", "15000", 5}, {"Praha", "Praha 6", "16000", 4},
		{"Praha", "Praha 7", "17000", 3}, {"Praha", "Praha 8", "18000", 5},
		{"Praha", "Praha 9", "19000", 4}, {"Praha", "Praha 10", "10000", 5},
		{"Brno", "Brno-střed", "60200", 4}, {"Brno", "Královo Pole", "61200", 3},
		{"Brno", "Líšeň", "62800", 2}, {"Brno", "Bystrc", "63500", 2},
		{"Ostrava", "Moravská Ostrava", "70200", 3}, {"Ostrava", "Poruba", "70800", 3},
		{"Plzeň", "", "30100", 4}, {"Plzeň", "Doubravka", "31200", 1},
		{"Liberec", "", "46001", 3}, {"Olomouc", "", "77900", 3},
		{"České Budějovice", "", "37001", 3}, {"Hradec Králové", "", "50002", 3},
		{"Ústí nad Labem", "", "40001", 2}, {"Pardubice", "", "53002", 3},
		{"Zlín", "", "76001", 2}, {"Havířov", "", "73601", 1}, {"Kladno", "", "27201", 2},
		{"Most", "", "43401", 1}, {"Opava", "", "74601", 1}, {"Frýdek-Místek", "", "73801", 1},
		{"Karviná", "", "73301", 1}, {"Jihlava", "", "58601", 2}, {"Teplice", "", "41501", 1},
		{"Děčín", "", "40502", 1}, {"Karlovy Vary", "", "36001", 1}, {"Chomutov", "", "43001", 1},
		{"Jablonec nad Nisou", "", "46601", 1}, {"Mladá Boleslav", "", "29301", 1},
		{"Prostějov", "", "79601", 1}, {"Přerov", "", "75002", 1}, {"Česká Lípa", "", "47001", 1},
		{"Třebíč", "", "67401", 1}, {"Třinec", "", "73961", 1}, {"Tábor", "", "39002", 1},
		{"Znojmo", "", "66902", 1}, {"Kolín", "", "28002", 1}, {"Příbram", "", "26101", 1},
		{"Cheb", "", "35002", 1}, {"Písek", "", "39701", 1}, {"Trutnov", "", "54101", 1},
		{"Kroměříž", "", "76701", 1}, {"Vsetín", "", "75501", 1},
		{"Žďár nad Sázavou", "", "59101", 1}, {"Český Krumlov", "", "38101", 1},
		{"Uherské Hradiště", "", "68601", 1}, {"Benešov", "", "25601", 1},
		{"Beroun", "", "26601", 1}, {"Nový Jičín", "", "74101", 1}, {"Říčany", "", "25101", 1},
		{"Dolní Břežany", "", "25241", 1}, {"Černošice", "", "25228", 1},
		{"Strakonice", "", "38601", 1},
	},
	domains: []weighted{
		{"seznam.cz", 35}, {"gmail.com", 30}, {"email.cz", 10}, {"centrum.cz", 8},
		{"post.cz", 4}, {"outlook.com", 4}, {"volny.cz", 3}, {"atlas.cz", 3}, {"icloud.com", 3},
	},
	companyTLD: "cz",
	companyBases: []string{
		"Stavby Novák", "Elektro Dvořák", "AGRO Vysočina", "Truhlářství Svoboda",
		"Kovovýroba Zlín", "TechnoSoft", "Pekárna U Mlýna", "Autoservis Kučera",
		"Zahradnictví Fiala", "Instalatérství Beneš", "Malířství Horák",
		"Účetní kancelář Pokorná", "Kadeřnictví Eva", "Vinařství Pod Pálavou", "Novák & syn",
		"Bohemia Trade", "Moravia Steel Parts", "Pražské sklo", "Český nábytek",
		"Dřevovýroba Šumava", "Jihočeská doprava", "Krkonošská pila", "Hanácké pekárny",
		"Brněnské strojírny", "IT Řešení", "Datová služba", "Green Energy CZ", "Zdravá výživa",
		"Květinářství Růžička", "Papírnictví U Anděla",
	},
	additional: []string{
		"2. patro", "3. patro, byt 12", "byt č. 5", "zadní trakt", "vchod ze dvora",
		"c/o recepce", "budova B", "Sklad 2", "u vrátnice", "přízemí vlevo",
	},
	phone: phoneData{
		prefixes: []string{
			"601", "602", "603", "604", "605", "606", "607", "608", "702", "703", "704", "705",
			"720", "721", "722", "723", "724", "725", "728", "730", "731", "732", "733", "734",
			"736", "737", "739", "773", "774", "775", "776", "777", "778", "779", "790", "791",
			"792", "793",
			// Prague landlines, for the customers who still give one.
			"222", "251", "284",
		},
		forms: []weighted{
			{"+420 AAA BBB CCC", 40}, {"AAABBBCCC", 20}, {"AAA BBB CCC", 15},
			{"+420AAABBBCCC", 12}, {"00420 AAA BBB CCC", 4}, {"+420 AAABBBCCC", 4},
			{"AAA-BBB-CCC", 2}, {"+420 AAA BBB CCC (práce)", 3},
		},
	},
}

var slovak = countryData{
	code: "SK",
	maleFirst: []string{
		"Peter", "Ján", "Jozef", "Michal", "Martin", "Tomáš", "Lukáš", "Marek", "Milan",
		"Juraj", "Štefan", "Ľubomír", "Miroslav", "Pavol", "Dušan", "Vladimír", "Róbert",
		"Matej", "Samuel", "Jakub", "Andrej", "Igor", "Branislav", "Rastislav", "Ľuboš",
		"Marián", "Ondrej", "Dávid",
	},
	femaleFirst: []string{
		"Mária", "Anna", "Zuzana", "Katarína", "Jana", "Eva", "Martina", "Lucia", "Monika",
		"Veronika", "Ivana", "Simona", "Petra", "Barbora", "Michaela", "Dominika", "Lenka",
		"Andrea", "Ľudmila", "Soňa", "Alžbeta", "Viera", "Kristína", "Natália", "Romana",
		"Tímea", "Jarmila", "Adriána",
	},
	surnames: [][2]string{
		{"Horváth", "Horváthová"}, {"Kováč", "Kováčová"}, {"Varga", "Vargová"},
		{"Tóth", "Tóthová"}, {"Nagy", "Nagyová"}, {"Baláž", "Balážová"},
		{"Szabó", "Szabóová"}, {"Molnár", "Molnárová"}, {"Lukáč", "Lukáčová"},
		{"Novák", "Nováková"}, {"Kováčik", "Kováčiková"}, {"Polák", "Poláková"},
		{"Kollár", "Kollárová"}, {"Németh", "Némethová"}, {"Oravec", "Oravcová"},
		{"Hudák", "Hudáková"}, {"Gajdoš", "Gajdošová"}, {"Šimko", "Šimková"},
		{"Krajčír", "Krajčírová"}, {"Ďurica", "Ďuricová"}, {"Mráz", "Mrázová"},
		{"Benko", "Benková"}, {"Hrušovský", "Hrušovská"}, {"Kučera", "Kučerová"},
		{"Marko", "Marková"}, {"Černák", "Černáková"}, {"Lacko", "Lacková"},
		{"Ševčík", "Ševčíková"}, {"Čierny", "Čierna"}, {"Biely", "Biela"},
		{"Kráľ", "Kráľová"}, {"Ľupták", "Ľuptáková"}, {"Žiak", "Žiaková"},
	},
	streets: []string{
		"Hlavná", "Štúrova", "Námestie SNP", "Hviezdoslavova", "Kukučínova", "Mierová",
		"Záhradnícka", "Obchodná", "Poštová", "Železničná", "Športová", "Školská", "Nová",
		"Krátka", "Dlhá", "Sládkovičova", "Jesenského", "Štefánikova", "Moyzesova",
		"Kollárova", "Priemyselná", "Jarná", "Lipová", "Cintorínska", "Družstevná",
		"Slnečná", "Hurbanova", "Dukelská", "Budovateľská", "Ľudovíta Štúra", "Bajkalská",
		"Mlynská", "Tatranská", "Rázusova", "Partizánska",
	},
	cities: []city{
		{"Bratislava", "Staré Mesto", "81101", 4}, {"Bratislava", "Ružinov", "82105", 4},
		{"Bratislava", "Nové Mesto", "83104", 3}, {"Bratislava", "Karlova Ves", "84104", 3},
		{"Bratislava", "Petržalka", "85101", 5}, {"Bratislava", "Dúbravka", "84102", 2},
		{"Košice", "Staré Mesto", "04001", 3}, {"Košice", "Západ", "04011", 2},
		{"Košice", "Nad jazerom", "04012", 1}, {"Košice", "Dargovských hrdinov", "04022", 1},
		{"Žilina", "", "01001", 3}, {"Žilina", "Vlčince", "01008", 1},
		{"Žilina", "Hájik", "01015", 1}, {"Prešov", "", "08001", 3},
		{"Banská Bystrica", "", "97401", 2}, {"Nitra", "", "94901", 2},
		{"Trnava", "", "91701", 2}, {"Trenčín", "", "91101", 2}, {"Martin", "", "03601", 2},
		{"Poprad", "", "05801", 2}, {"Prievidza", "", "97101", 1}, {"Zvolen", "", "96001", 1},
		{"Považská Bystrica", "", "01701", 1}, {"Michalovce", "", "07101", 1},
		{"Nové Zámky", "", "94002", 1}, {"Spišská Nová Ves", "", "05201", 1},
		{"Komárno", "", "94501", 1}, {"Levice", "", "93401", 1}, {"Humenné", "", "06601", 1},
		{"Bardejov", "", "08501", 1}, {"Liptovský Mikuláš", "", "03101", 1},
		{"Ružomberok", "", "03401", 1}, {"Lučenec", "", "98401", 1}, {"Piešťany", "", "92101", 1},
		{"Topoľčany", "", "95501", 1}, {"Čadca", "", "02201", 1}, {"Dolný Kubín", "", "02601", 1},
		{"Dunajská Streda", "", "92901", 1}, {"Senec", "", "90301", 1},
		{"Pezinok", "", "90201", 1}, {"Rožňava", "", "04801", 1},
		{"Stará Ľubovňa", "", "06401", 1}, {"Kežmarok", "", "06001", 1},
	},
	domains: []weighted{
		{"gmail.com", 35}, {"azet.sk", 25}, {"centrum.sk", 12}, {"zoznam.sk", 8},
		{"post.sk", 6}, {"pobox.sk", 4}, {"outlook.com", 5}, {"icloud.com", 3},
		{"seznam.cz", 2},
	},
	companyTLD: "sk",
	companyBases: []string{
		"Stavebniny Kováč", "Tatra Trade", "Slovakia Logistics", "Považské strojárne",
		"Elektro Horváth", "Pekáreň Dunaj", "Autoservis Baláž", "Záhradníctvo Tóth",
		"Kaviareň Štúr", "Drevovýroba Orava", "Spiš Agro", "Liptov Tour",
		"Účtovníctvo Nagyová", "Košická doprava", "Vinárstvo Malé Karpaty", "Tlačiareň Nitra",
		"Kvetinárstvo Ruža", "IT Riešenia", "Horváth a syn", "Mäsiarstvo Šimko",
	},
	additional: []string{
		"2. poschodie", "byt č. 14", "vchod B", "budova A", "c/o recepcia", "prízemie",
		"sklad 3", "4. poschodie, dvere vpravo",
	},
	phone: phoneData{
		prefixes: []string{
			"901", "902", "903", "904", "905", "906", "907", "908", "910", "911", "914", "915",
			"916", "917", "940", "944", "948", "949", "950", "951",
		},
		forms: []weighted{
			{"+421 AAA BBB CCC", 45}, {"0AAA BBB CCC", 25}, {"0AAABBBCCC", 15},
			{"+421AAABBBCCC", 10}, {"00421 AAA BBB CCC", 5},
		},
	},
}

// legalForms are the company suffixes, with how often each occurs.
var legalForms = []weighted{
	{"s.r.o.", 70}, {"a.s.", 12}, {"spol. s r.o.", 12}, {"v.o.s.", 6},
}

// titles are academic titles written before the name; Czech and Slovak customers type them
// into the name field.
var titles = []string{"Ing.", "Mgr.", "MUDr.", "Bc.", "JUDr.", "Ing. arch.", "PhDr.", "RNDr."}

// guardCompanies and guardStreets start with a character a spreadsheet reads as a formula.
// Real shops have them ("-" typed where there is no street, names decorated with = or -), and
// they exercise the exporters' formula guard outside the remark column.
var (
	guardCompanies = []string{
		"=Profi= s.r.o.", "-DESIGN- s.r.o.", "+Plus Trade a.s.", "@home Studio s.r.o.",
		"=1+1 spol. s r.o.", "-=STAVBY=- v.o.s.",
	}
	guardStreets = []string{"-", "=Hlavní", "-- bez ulice --", "- (obec bez ulic)", "+Nová"}
)

// Remarks, by kind. The special ones carry what breaks naive exporters: new lines (LF and
// CRLF), the CSV delimiter, double quotes, and a first character that starts a spreadsheet
// formula; "-5" is a plain number, which the formula guard must leave alone.
var (
	remarksPlain = []string{
		"Prosím volat před doručením.", "Doručovat po 16. hodině.", "Zásilku nechat u sousedů.",
		"Platba vždy převodem.", "Stálý zákazník, posílat katalog.", "Nezvonit, malé dítě spí.",
		"Preferuje doručení na výdejní místo.", "Faktury zasílat e-mailem.",
		"Zákazník požaduje papírovou fakturu.", "Reklamace vyřízena ke spokojenosti.",
		"Prosím nevolať pred 9:00.", "Balík nechať na recepcii.", "Fakturovať na firmu.",
		"Objednávky potvrdzovať telefonicky.", "Pozor, pes na zahradě.", "Vstup z boční ulice.",
		"Dodací lhůta dle dohody.", "Zákazník z veletrhu 2019.",
	}
	remarksSpecial = []string{
		"Volat před 10:00; jinak SMS",
		"Firma \"U Lípy\" – doručovat do skladu",
		"Zákazník chce \"dárkové balení\"; bez faktury v balíku",
		"1. patro\n2. dveře vlevo",
		"Adresa skladu:\r\nPrůmyslová 12\r\nKolín",
		"Poznámka od zákazníka:\n\"Nechte to u vrátnice\"; díky",
		"Kontakt: paní Nováková\nTel. večer",
		"=SUM(A1:A2)",
		"=HYPERLINK(\"http://example.com\";\"klik\")",
		"+420 volat večer",
		"+ doplatek za dopravu",
		"-10 % sleva na další nákup",
		"-",
		"-5",
		"@firma",
		"@Novák – předat účetní",
		"Sleva 5 %; platnost do konce roku",
		"\tOdsazená poznámka",
		"\nZačíná novým řádkem",
	}
	remarksExotic = []string{
		"Děkujeme za nákup 🎉",
		"👍 spokojený zákazník",
		"Pobočka 東京 (Tokio)",
		"東京都渋谷区",
		"Dárek pro babičku 🎁❤️",
		"Zákazník z 北京; komunikace anglicky",
		"👨‍👩‍👧 rodinný účet",
	}
)

// hourWeights is the relative number of registrations in each hour of the day (Central
// European time): few at night, a plateau during the day, a peak in the evening. A weight is
// at most 3600 so that one unit of the registration timeline is at least one second (see
// timeline in generator.go).
var hourWeights = [24]int64{
	600, 360, 240, 180, 180, 300, 720, 1300, 2000, 2600, 2900, 3000,
	2900, 2900, 3000, 3000, 3000, 3100, 3300, 3500, 3600, 3400, 2600, 1500,
}
