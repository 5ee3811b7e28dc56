# An author cannot approve their own revision; someone else can.
:as bob
/story new title:"Nvidia loses 600 billion dollars in a day"
/story write body <<END
Nvidia's market value fell by nearly 600 billion dollars on Monday, the largest one-day loss for any company.
END
/story approve body
:as carol
/story approve body
